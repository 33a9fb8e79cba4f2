import Yams

/// `/docs/api`: the API's contract, `openapi.yaml`, drawn as a page a person reads: the
/// operations by tag, each with its parameters, body and answers, then every schema with its
/// fields. Drawn once from the document the service serves, so the two never differ.
public enum APIReference {
    public static let html: String = {
        do {
            return try render(String(decoding: OpenAPIDocument.bytes, as: UTF8.self))
        } catch {
            preconditionFailure("openapi.yaml cannot be drawn as a page: \(error)")
        }
    }()

    static let methods = ["get", "put", "post", "patch", "delete"]

    static func render(_ yaml: String) throws -> String {
        guard let document = try Yams.compose(yaml: yaml) else { throw EmptyDocument() }
        let info = document["info"]
        var page = HTMLText()
        let title = info?["title"]?.string ?? "API"
        page.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        page.text("\(title) API reference")
        page.raw("</title><style>\(style)</style></head><body><main>")
        page.element("h1", "\(title) API \(info?["version"]?.string ?? "")")
        page.prose(info?["description"]?.string)
        page.raw("<p>The document itself: <a href=\"/openapi.yaml\">/openapi.yaml</a>.</p>")

        let operations = operationsByTag(document)
        page.raw("<nav><h2>Contents</h2><ul>")
        for (tag, listed) in operations {
            page.raw("<li>")
            page.text(tag)
            page.raw(": ")
            for (index, operation) in listed.enumerated() {
                if index > 0 { page.raw(", ") }
                page.link("#op-\(operation.id)", operation.id)
            }
            page.raw("</li>")
        }
        page.raw("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>")

        for (tag, listed) in operations {
            page.element("h2", tag)
            for operation in listed { draw(operation, into: &page, document) }
        }

        page.raw("<h2 id=\"schemas\">Schemas</h2>")
        for (name, schema) in document["components"]?["schemas"]?.mapping ?? [:] {
            guard let name = name.string else { continue }
            drawSchema(name, schema, into: &page)
        }
        page.raw("</main></body></html>")
        return page.html
    }

    struct Operation {
        let id: String
        let method: String
        let path: String
        let node: Node
        /// The parameters the path names for every operation on it.
        let pathParameters: [Node]
    }

    /// Every operation, under the first of its tags, in the document's order.
    static func operationsByTag(_ document: Node) -> [(String, [Operation])] {
        var tags = document["tags"]?.array().compactMap { $0["name"]?.string } ?? []
        var byTag: [String: [Operation]] = [:]
        for (path, item) in document["paths"]?.mapping ?? [:] {
            guard let path = path.string else { continue }
            for method in methods {
                guard let node = item[method] else { continue }
                let tag = node["tags"]?.array().first?.string ?? "other"
                if !tags.contains(tag) { tags.append(tag) }
                byTag[tag, default: []].append(
                    Operation(
                        id: node["operationId"]?.string ?? "\(method) \(path)",
                        method: method,
                        path: path,
                        node: node,
                        pathParameters: item["parameters"]?.array() ?? []
                    )
                )
            }
        }
        return tags.compactMap { tag in byTag[tag].map { (tag, $0) } }
    }

    static func draw(_ operation: Operation, into page: inout HTMLText, _ document: Node) {
        let node = operation.node
        page.raw("<section id=\"op-")
        page.text(operation.id)
        page.raw("\"><h3><span class=\"method\">")
        page.text(operation.method.uppercased())
        page.raw("</span> <code>")
        page.text(operation.path)
        page.raw("</code></h3>")
        page.element("p", node["summary"]?.string ?? "", class: "summary")
        page.prose(node["description"]?.string)
        if node["security"]?.array().isEmpty == true { page.element("p", "No credential needed.", class: "note") }

        let parameters = (operation.pathParameters + (node["parameters"]?.array() ?? [])).map { resolved($0, document) }
        if !parameters.isEmpty {
            page.raw("<table><caption>Parameters</caption><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>")
            for parameter in parameters {
                let required = parameter["required"]?.bool == true ? " (required)" : ""
                page.row([
                    .code(parameter["name"]?.string ?? ""), .text((parameter["in"]?.string ?? "") + required),
                    .type(parameter["schema"]), .prose(parameter["description"]?.string),
                ])
            }
            page.raw("</table>")
        }
        if let body = node["requestBody"].map({ resolved($0, document) }) {
            page.raw("<p><b>Body</b>")
            if body["required"]?.bool != true { page.raw(" (optional)") }
            page.raw(": ")
            drawContent(body["content"], into: &page)
            page.raw("</p>")
            page.prose(body["description"]?.string)
        }
        page.raw("<table><caption>Answers</caption><tr><th>status</th><th>description</th><th>body</th></tr>")
        for (status, answer) in node["responses"]?.mapping ?? [:] {
            let answer = resolved(answer, document)
            var content = HTMLText()
            drawContent(answer["content"], into: &content)
            page.row([.code(status.string ?? ""), .prose(answer["description"]?.string), .html(content.html)])
        }
        page.raw("</table></section>")
    }

    /// Each media type of a body with its schema.
    static func drawContent(_ content: Node?, into page: inout HTMLText) {
        for (index, (mediaType, media)) in (content?.mapping ?? [:]).enumerated() {
            if index > 0 { page.raw("; ") }
            page.raw("<code>")
            page.text(mediaType.string ?? "")
            page.raw("</code> ")
            page.type(media["schema"])
        }
    }

    static func drawSchema(_ name: String, _ schema: Node, into page: inout HTMLText) {
        page.raw("<section id=\"schema-")
        page.text(name)
        page.raw("\">")
        page.element("h3", name)
        page.prose(schema["description"]?.string)
        guard let properties = schema["properties"]?.mapping else {
            page.raw("<p>")
            page.type(schema)
            page.raw("</p></section>")
            return
        }
        let required = Set(schema["required"]?.array(of: String.self) ?? [])
        page.raw("<table><tr><th>field</th><th>type</th><th>description</th></tr>")
        for (field, property) in properties {
            let fieldName = field.string ?? ""
            page.row([.code(fieldName + (required.contains(fieldName) ? "" : "?")), .type(property), .prose(property["description"]?.string)])
        }
        page.raw("</table></section>")
    }

    /// A `$ref` to a component, followed; anything else as it is.
    static func resolved(_ node: Node, _ document: Node) -> Node {
        guard let reference = node["$ref"]?.string, reference.hasPrefix("#/") else { return node }
        var target: Node? = document
        for part in reference.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
        return target ?? node
    }

    struct EmptyDocument: Error {}

    static let style = """
        body{font:15px/1.5 system-ui,sans-serif;color:#1b1b1b;margin:0}main{max-width:70rem;margin:0 auto;padding:1rem 2rem}\
        h2{border-bottom:2px solid #0b5cad;margin-top:2.5rem}h3{margin:1.8rem 0 .3rem}section{border-top:1px solid #ddd}\
        .method{color:#fff;background:#0b5cad;border-radius:3px;padding:0 .4rem;font-size:.85em}.summary{font-weight:600}\
        .note{color:#555}table{border-collapse:collapse;width:100%;margin:.5rem 0}caption{text-align:left;font-weight:600}\
        th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f3f5f8}\
        code{font-family:ui-monospace,monospace;font-size:.92em}a{color:#0b5cad}nav li{margin:.3rem 0}
        """
}

/// HTML written a piece at a time; whatever comes from the document goes through `text`.
struct HTMLText {
    private(set) var html = ""

    enum Cell {
        case text(String)
        case code(String)
        case prose(String?)
        case type(Node?)
        case html(String)
    }

    mutating func raw(_ markup: String) {
        html += markup
    }

    mutating func text(_ text: String) {
        for character in text {
            switch character {
            case "&": html += "&amp;"
            case "<": html += "&lt;"
            case ">": html += "&gt;"
            case "\"": html += "&quot;"
            default: html.append(character)
            }
        }
    }

    mutating func element(_ name: String, _ content: String, class className: String? = nil) {
        raw(className.map { "<\(name) class=\"\($0)\">" } ?? "<\(name)>")
        text(content)
        raw("</\(name)>")
    }

    mutating func link(_ target: String, _ label: String) {
        raw("<a href=\"")
        text(target)
        raw("\">")
        text(label)
        raw("</a>")
    }

    /// Paragraphs, with `back-quoted` words as code.
    mutating func prose(_ markdown: String?) {
        guard let markdown, !markdown.isEmpty else { return }
        for paragraph in markdown.split(separator: "\n\n") {
            raw("<p>")
            inline(String(paragraph))
            raw("</p>")
        }
    }

    private mutating func inline(_ line: String) {
        for (index, piece) in line.split(separator: "`", omittingEmptySubsequences: false).enumerated() {
            if index % 2 == 1 {
                raw("<code>")
                text(String(piece))
                raw("</code>")
            } else {
                text(String(piece))
            }
        }
    }

    /// A schema as a reader names it: a link to a named one, `array of …`, a type with its format
    /// and bounds, or the values an enumeration allows.
    mutating func type(_ schema: Node?) {
        guard let schema else { return }
        if let reference = schema["$ref"]?.string {
            let name = String(reference.split(separator: "/").last ?? "")
            link("#schema-\(name)", name)
            return
        }
        if let choices = (schema["oneOf"] ?? schema["anyOf"])?.array(), !choices.isEmpty {
            text("one of ")
            for (index, choice) in choices.enumerated() {
                if index > 0 { text(", ") }
                type(choice)
            }
            return
        }
        let kind = schema["type"]?.string ?? schema["type"]?.array(of: String.self).joined(separator: " or ") ?? ""
        if kind == "array" {
            text("array of ")
            type(schema["items"])
            return
        }
        var words = [kind]
        if let format = schema["format"]?.string { words.append("(\(format))") }
        if let minimum = schema["minimum"]?.string, let maximum = schema["maximum"]?.string { words.append("\(minimum) to \(maximum)") }
        if let length = schema["maxLength"]?.string { words.append("at most \(length) characters") }
        text(words.filter { !$0.isEmpty }.joined(separator: " "))
        if let values = schema["enum"]?.array(of: String.self), !values.isEmpty {
            text(": ")
            for (index, value) in values.enumerated() {
                if index > 0 { text(", ") }
                raw("<code>")
                text(value)
                raw("</code>")
            }
        }
    }

    mutating func row(_ cells: [Cell]) {
        raw("<tr>")
        for cell in cells {
            raw("<td>")
            switch cell {
            case let .text(value): text(value)
            case let .code(value):
                raw("<code>")
                text(value)
                raw("</code>")
            case let .prose(value): inline(value ?? "")
            case let .type(schema): type(schema)
            case let .html(markup): raw(markup)
            }
            raw("</td>")
        }
        raw("</tr>")
    }
}
