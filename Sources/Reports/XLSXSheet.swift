import CreditsCore
import Foundation

/// A worksheet of an Office Open XML workbook as bytes: strings inline, numbers as numbers,
/// times as date serials shown as the CSV writes them (style 1), and money as numbers shown
/// with the currency's decimals (styles 2 to 4), so that a spreadsheet can sum and sort them
/// and shows the same text as the CSV.
enum XLSXSheet {
    enum Cell {
        case text(String)
        case number(String)
        case time(millisecondsSinceEpoch: Int64)
        case money(String, decimals: Int)
    }

    static let start =
        #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"
        + #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
    static let end = "</sheetData></worksheet>"

    /// Appends row `number` (the first is 1).
    static func append(row cells: [Cell], number: Int, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: "<row r=\"\(number)\">".utf8)
        for cell in cells {
            switch cell {
            case let .text(text) where text.isEmpty:
                bytes.append(contentsOf: "<c/>".utf8)
            case let .text(text):
                // XML whitespace at either end is kept only when the text says so.
                func isXMLWhitespace(_ byte: UInt8?) -> Bool { byte == 9 || byte == 10 || byte == 13 || byte == 32 }
                let edges = isXMLWhitespace(text.utf8.first) || isXMLWhitespace(text.utf8.last)
                bytes.append(contentsOf: (edges ? "<c t=\"inlineStr\"><is><t xml:space=\"preserve\">" : "<c t=\"inlineStr\"><is><t>").utf8)
                appendXMLText(text, to: &bytes)
                bytes.append(contentsOf: "</t></is></c>".utf8)
            case let .number(value): bytes.append(contentsOf: "<c><v>\(value)</v></c>".utf8)
            case let .time(milliseconds): bytes.append(contentsOf: "<c s=\"1\"><v>\(serial(milliseconds))</v></c>".utf8)
            case let .money(value, decimals): bytes.append(contentsOf: "<c s=\"\(moneyStyle(decimals: decimals))\"><v>\(value)</v></c>".utf8)
            }
        }
        bytes.append(contentsOf: "</row>".utf8)
    }

    /// `text` as XML character data: `&`, `<`, `>` and `"` escaped, and the control characters
    /// XML 1.0 cannot hold left out (tab, line feed and carriage return stay).
    static func appendXMLText(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            guard
                utf8.contains(where: {
                    $0 < 0x20 || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
                        || $0 == UInt8(ascii: "\"")
                })
            else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "&"): bytes.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): bytes.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): bytes.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): bytes.append(contentsOf: "&quot;".utf8)
                case 9, 10, 13: bytes.append(byte)
                case ..<0x20: continue
                default: bytes.append(byte)
                }
            }
        }
    }

    /// The style showing `decimals` digits after the point: 2 (most currencies), 0 or 3.
    static func moneyStyle(decimals: Int) -> Int {
        switch decimals {
        case 0: 3
        case 3: 4
        default: 2
        }
    }

    /// Days since 1899-12-30, the spreadsheet epoch, with the time of day as the fraction; in
    /// full (the shortest text that reads back as the same double), because a spreadsheet cuts
    /// a time short rather than rounding it: 8:00 written as .33333333 shows as 7:59:59.
    static func serial(_ milliseconds: Int64) -> String {
        String(Double(milliseconds) / Double(Instant.millisecondsPerDay) + 25_569)
    }

    /// The other parts of a one-sheet workbook, named as the package holds them.
    static let packageParts: [(String, String)] = [
        (
            "[Content_Types].xml",
            #"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
            """#
        ),
        (
            "_rels/.rels",
            #"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """#
        ),
        (
            "xl/workbook.xml",
            #"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="PSTN and SMS usage" sheetId="1" r:id="rId1"/></sheets></workbook>
            """#
        ),
        (
            "xl/_rels/workbook.xml.rels",
            #"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
            """#
        ),
        (
            "xl/styles.xml",
            #"""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd&quot;T&quot;hh:mm:ss&quot;Z&quot;"/><numFmt numFmtId="165" formatCode="0.000"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>
            """#
        ),
    ]
}
