import CSV
import CreditsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import Testing
import ZIPFoundation

/// The usage export through the real server: a zip whose CSV a CSV reader reads back exactly.
@Suite("The PSTN and SMS usage export")
struct UsageExportTests {
    let fixture = NotificationFixture()

    @Test("Cells a spreadsheet would run as formulas come out with a leading quote; phone numbers and amounts as they are")
    func formulasAreNeutralized() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await fixture.northwind(client)
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"eve@northwind.com","displayName":"=HYPERLINK(\"http://evil.example\",\"Click\")","usageLocation":"US","roles":[]}"#,
                expect: .created
            )
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/users/eve@northwind.com/licenses",
                #"{"add":["MCOEV","MCOPSTN_PAYG","MCOPSTNPP"]}"#,
                expect: .ok
            )
            let upload =
                #"{"records":[{"usageId":"f1","callId":"-2+3+cmd|' /C calc'!A0","conferenceId":"+cmd|calc","callType":"user_out","upn":"eve@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2027-01-10T08:00:00Z","durationSeconds":61,"administrativeUnits":"@SUM(1+1)","userObjectId":"\tTab"}]}"#
            try await fixture.api.send(client, .post, "/v1/tenants/northwind/usage-records", upload, expect: .ok)
            let download = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn?from=2027-01-01&to=2027-01-11&format=csv", method: .get)
            {
                Data(buffer: $0.body)
            }
            let rows = try Array(
                CSVReader(
                    string: String(
                        decoding: try Self.entry("pstn-usage.csv", of: Archive(data: download, accessMode: .read)),
                        as: UTF8.self
                    )
                )
            )
            let row = Dictionary(uniqueKeysWithValues: zip(UsageReportRow.columns, try #require(rows.last)))
            #expect(row["User Display Name"] == "'=HYPERLINK(\"http://evil.example\",\"Click\")")
            #expect(row["Call ID"] == "'-2+3+cmd|' /C calc'!A0")
            #expect(row["Conference ID"] == "'+cmd|calc")
            #expect(row["Administrative Units"] == "'@SUM(1+1)")
            #expect(row["Microsoft Entra ObjectId"] == "'\tTab")
            #expect(row["Caller ID"] == "+14255550100" && row["Destination Number"] == "+14255550199", "an E.164 number runs nothing")
            #expect(row["UPN"] == "eve@northwind.com")
        }
    }

    @Test("The zip holds the 25 columns and every record, quoting round-trips, parameters.json names the range")
    func exportRoundTrips() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await fixture.northwind(client)
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/users",
                #"{"upn":"quote@northwind.com","displayName":"Quinn \"Q\", Jr.","usageLocation":"US","roles":[]}"#,
                expect: .created
            )
            try await fixture.api.send(
                client,
                .post,
                "/v1/tenants/northwind/users/quote@northwind.com/licenses",
                #"{"add":["MCOEV","MCOPSTN_PAYG","MCOPSTNPP"]}"#,
                expect: .ok
            )
            let upload =
                #"{"records":[{"usageId":"u1","callType":"user_out","upn":"quote@northwind.com","callerNumber":"+14255550100","calleeNumber":"+4915112345678","startTime":"2027-01-10T08:00:00Z","durationSeconds":61,"administrativeUnits":"Sales, \"EMEA\"\nSecond line"},{"usageId":"u2","callType":"user_in","upn":"payg@northwind.com","callerNumber":"+33612345678","calleeNumber":"+14255550100","startTime":"2027-01-10T08:30:00Z","durationSeconds":30}]}"#
            try await fixture.api.send(client, .post, "/v1/tenants/northwind/usage-records", upload, expect: .ok)

            let download = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn?from=2027-01-01&to=2027-01-11&format=csv", method: .get)
            { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/zip")
                return Data(buffer: response.body)
            }
            let archive = try Archive(data: download, accessMode: .read)
            let csvText = try Self.entry("pstn-usage.csv", of: archive)
            let rows = try Array(CSVReader(string: String(decoding: csvText, as: UTF8.self)))
            #expect(rows.first == UsageReportRow.columns, "the header, exactly")
            #expect(rows.count == 3)
            let byId = Dictionary(
                uniqueKeysWithValues: rows.dropFirst().map { ($0[0], Dictionary(uniqueKeysWithValues: zip(UsageReportRow.columns, $0))) }
            )
            #expect(byId["u1"]?["User Display Name"] == "Quinn \"Q\", Jr.", "a comma and quotes survive the round trip")
            #expect(byId["u1"]?["Administrative Units"] == "Sales, \"EMEA\"\nSecond line", "and a line break inside a value")
            #expect(byId["u1"]?["Destination Number"] == "+4915112345***", "Germany masks the last 3 digits")
            #expect(byId["u2"]?["Caller ID"] == "+3361234****", "France masks the caller's last 4")
            #expect(byId["u1"]?["Start Time"] == "2027-01-10T08:00:00Z")
            #expect(String(decoding: csvText, as: UTF8.self).contains("\r\n"), "RFC 4180 line ends")

            let parameters = try JSONSerialization.jsonObject(with: Self.entry("parameters.json", of: archive)) as? [String: Any]
            #expect(parameters?["from"] as? String == "2027-01-01T00:00:00Z" && parameters?["to"] as? String == "2027-01-11T00:00:00Z")
            #expect(parameters?["records"] as? Int == 2)
            #expect((parameters?["capabilities"] as? [String])?.contains("MCOPSTNPP") == true)

            // Never further back than the retention: a range starting years ago starts 365 days back.
            let old = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn?from=2020-01-01&to=2027-01-11&format=csv", method: .get) {
                Data(buffer: $0.body)
            }
            let clamped =
                try JSONSerialization.jsonObject(with: Self.entry("parameters.json", of: Archive(data: old, accessMode: .read))) as? [String: Any]
            #expect(clamped?["from"] as? String == "2026-01-10T09:00:00Z")
            let refused = try await fixture.api.send(
                client,
                .get,
                "/v1/tenants/northwind/reports/pstn?from=2027-02-01&to=2027-01-01",
                expect: .badRequest
            )
            #expect(refused["detail"] as? String == "from must come before to.")

            // The same as a workbook: a header of inline strings, times as date serials, money as numbers.
            let workbook = try await client.execute(
                uri: "/v1/tenants/northwind/reports/pstn?from=2027-01-01&to=2027-01-11&format=xlsx",
                method: .get
            ) { response in
                #expect(response.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                return Data(buffer: response.body)
            }
            let xlsx = try Archive(data: workbook, accessMode: .read)
            #expect(
                Set(xlsx.map(\.path)) == [
                    "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                    "xl/worksheets/sheet1.xml",
                ]
            )
            let sheet = String(decoding: try Self.entry("xl/worksheets/sheet1.xml", of: xlsx), as: UTF8.self)
            let header = sheet.components(separatedBy: "</row>")[0]
            #expect(header.components(separatedBy: "<c t=\"inlineStr\">").count - 1 == 25)
            #expect(sheet.contains("<c s=\"1\"><v>46397.33333333333</v></c>"), "2027-01-10 08:00 UTC as a date serial")
            #expect(sheet.contains("Quinn &quot;Q&quot;, Jr."))
            let charge = try #require(byId["u1"]?["Charge"])
            #expect(sheet.contains("<c s=\"2\"><v>\(charge)</v></c>"), "the charge as a number, equal to the CSV's")
            try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/pstn?format=pdf", expect: .badRequest)

            // LibreOffice opens the workbook, and every cell it shows equals the CSV's.
            let shown = try await LibreOffice.csv(ofWorkbook: workbook)
            #expect(try Array(CSVReader(string: shown)) == rows, "LibreOffice showed:\n\(shown)")

            // JSON: the same rows a page at a time, in the columns' order.
            let first = try await fixture.api.send(
                client,
                .get,
                "/v1/tenants/northwind/reports/pstn?from=2027-01-01&to=2027-01-11&limit=1",
                expect: .ok
            )
            #expect(first["columns"] as? [String] == UsageReportRow.columns)
            #expect(first["rows"] as? [[String]] == [rows[1]])
            let next = try #require(first["next"] as? String)
            let second = try await fixture.api.send(
                client,
                .get,
                "/v1/tenants/northwind/reports/pstn?from=2027-01-01&to=2027-01-11&limit=1&after=\(next)",
                expect: .ok
            )
            #expect(second["rows"] as? [[String]] == [rows[2]])
        }
    }

    @Test("Records past the tenant's retention are purged on schedule, refused on upload, and outside every report")
    func retention() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await fixture.northwind(client)
            let tenant = try await fixture.api.send(client, .patch, "/v1/tenants/northwind", #"{"usageRetentionDays":30}"#, expect: .ok)
            #expect(tenant["usageRetentionDays"] as? Int == 30)
            let tooShort = try await fixture.api.send(
                client,
                .patch,
                "/v1/tenants/northwind",
                #"{"usageRetentionDays":29}"#,
                expect: .unprocessableContent
            )
            #expect((tooShort["detail"] as? String)?.contains("30 to 365 days") == true)

            // The test clock stands at 2027-01-10T09:00Z: 26 and 5 days back, then one 40 days back, too old to take.
            let upload =
                #"{"records":[{"usageId":"old","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2026-12-15T08:00:00Z","durationSeconds":60},{"usageId":"recent","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2027-01-05T08:00:00Z","durationSeconds":60},{"usageId":"ancient","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2026-12-01T08:00:00Z","durationSeconds":60}]}"#
            let results = try await fixture.api.send(client, .post, "/v1/tenants/northwind/usage-records", upload, expect: .ok)
            let outcomes = (results["results"] as? [[String: Any]])?.map { $0["status"] as? String }
            #expect(outcomes == ["charged", "charged", "refused"])
            let refusal = (results["results"] as? [[String: Any]])?[2]["detail"] as? String
            #expect(refusal?.contains("more than 30 days ago") == true)

            func reported() async throws -> [String] {
                let page = try await fixture.api.send(client, .get, "/v1/tenants/northwind/usage-records?from=2026-01-01&to=2027-12-31", expect: .ok)
                return (page["records"] as? [[String: Any]])?.compactMap { $0["usageId"] as? String } ?? []
            }
            #expect(try await reported() == ["old", "recent"], "kept until the scheduled purge runs")
            // The report starts at the horizon, however far back it is asked to reach.
            let report = try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/pstn?from=2026-01-01&to=2027-12-31", expect: .ok)
            #expect(report["from"] as? String == "2026-12-11T09:00:00Z")
            #expect((report["rows"] as? [[String]])?.map(\.[0]) == ["old", "recent"])

            // Advancing runs what fell due: "old" is now past 30 days and goes; "recent" stays.
            let before = try await fixture.api.send(client, .get, "/v1/tenants/northwind/credits", expect: .ok)["balanceMinor"] as? Int
            try await fixture.api.send(client, .post, "/v1/test-clock/advance", #"{"to":"2027-01-20T09:00:00Z"}"#, expect: .ok)
            #expect(try await reported() == ["recent"])
            // The ledger keeps every charge: the balance does not move when records go.
            let after = try await fixture.api.send(client, .get, "/v1/tenants/northwind/credits", expect: .ok)["balanceMinor"] as? Int
            #expect(before != nil && after == before)

            // A purged usage id may be used again: it is a new record, charged, and the one beside it too.
            let again =
                #"{"records":[{"usageId":"old","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2027-01-19T08:00:00Z","durationSeconds":60},{"usageId":"fresh","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2027-01-19T09:00:00Z","durationSeconds":60}]}"#
            let reused = try await fixture.api.send(client, .post, "/v1/tenants/northwind/usage-records", again, expect: .ok)
            let charges = (reused["results"] as? [[String: Any]])?.map { ($0["status"] as? String ?? "", $0["chargeMinor"] as? Int ?? 0) } ?? []
            #expect(charges.map(\.0) == ["charged", "charged"], "\(reused)")
            let balance = try await fixture.api.send(client, .get, "/v1/tenants/northwind/credits", expect: .ok)["balanceMinor"] as? Int
            #expect(balance == (after ?? 0) - charges.reduce(0) { $0 + $1.1 }, "both charged once")
            #expect(try await reported() == ["recent", "old", "fresh"])
        }
    }

    @Test("The zip's two halves join whatever falls in them: no record, one, or an odd number; every CRC checks")
    func halves() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await fixture.northwind(client)
            func export() async throws -> [[String]] {
                let zip = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn?from=2027-01-01&to=2027-01-11&format=csv", method: .get) {
                    Data(buffer: $0.body)
                }
                let archive = try Archive(data: zip, accessMode: .read)
                let rows = try Array(CSVReader(string: String(decoding: try Self.entry("pstn-usage.csv", of: archive), as: UTF8.self)))
                let parameters = try JSONSerialization.jsonObject(with: Self.entry("parameters.json", of: archive)) as? [String: Any]
                #expect(parameters?["records"] as? Int == rows.count - 1)
                return rows
            }
            #expect(try await export() == [UsageReportRow.columns], "no record: the header alone")
            var expected: [String] = []
            for (number, count) in [(1, 1), (2, 2)] {
                let records = (0..<count).map { index in
                    #"{"usageId":"r\#(number)-\#(index)","callType":"user_out","upn":"payg@northwind.com","callerNumber":"+14255550100","calleeNumber":"+14255550199","startTime":"2027-01-0\#(number + index)T08:00:00Z","durationSeconds":60}"#
                }
                try await fixture.api.send(
                    client,
                    .post,
                    "/v1/tenants/northwind/usage-records",
                    #"{"records":[\#(records.joined(separator: ","))]}"#,
                    expect: .ok
                )
                expected += (0..<count).map { "r\(number)-\($0)" }
                let rows = try await export()
                #expect(rows.first == UsageReportRow.columns && rows.dropFirst().map(\.[0]) == expected.sorted { $0 < $1 }, "\(rows.map(\.[0]))")
            }
        }
    }

    /// The entry's data, its CRC-32 checked against the one the zip records.
    static func entry(_ name: String, of archive: Archive) throws -> Data {
        guard let entry = archive[name] else { throw CocoaError(.fileNoSuchFile) }
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        #expect(data.crc32(checksum: 0) == entry.checksum, "the CRC-32 of \(name)")
        return data
    }
}

/// LibreOffice (Debian's libreoffice-calc-nogui), run headless to read a workbook as a
/// spreadsheet user would see it: converted to CSV with every cell as shown.
enum LibreOffice {
    static func csv(ofWorkbook workbook: Data) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("libreoffice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("report.xlsx")
        try workbook.write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Comma, double quote, UTF-8 (76), starting at row 1, every cell as shown; a profile of its own.
        process.arguments = [
            "soffice", "-env:UserInstallation=\(folder.appendingPathComponent("profile").absoluteString)", "--headless",
            "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true", "--outdir", folder.path, input.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let output = folder.appendingPathComponent("report.csv")
        guard status == 0, let text = try? String(contentsOf: output, encoding: .utf8) else {
            throw ConversionFailed(description: "soffice --convert-to csv exited with \(status); install libreoffice-calc-nogui")
        }
        return text
    }

    struct ConversionFailed: Error, CustomStringConvertible { let description: String }
}
