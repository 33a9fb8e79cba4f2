import CSV
import CreditsCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import ZIPFoundation

/// The usage export through the real server: a zip whose CSV a CSV reader reads back exactly.
@Suite("The PSTN and SMS usage export")
struct UsageExportTests {
    let fixture = NotificationFixture()

    @Test("The zip holds the 25 columns and every record, quoting round-trips, parameters.json names the range")
    func exportRoundTrips() async throws {
        try await TestServer.run(testClock: true) { client, _ in
            try await fixture.northwind(client)
            try await fixture.api.send(client, .post, "/v1/tenants/northwind/users",
                                       #"{"upn":"quote@northwind.com","displayName":"Quinn \"Q\", Jr.","usageLocation":"US","roles":[]}"#,
                                       expect: .created)
            try await fixture.api.send(client, .post, "/v1/tenants/northwind/users/quote@northwind.com/licenses",
                                       #"{"add":["MCOEV","MCOPSTN_PAYG","MCOPSTNPP"]}"#, expect: .ok)
            let upload = #"{"records":[{"usageId":"u1","callType":"user_out","upn":"quote@northwind.com","callerNumber":"+14255550100","calleeNumber":"+4915112345678","startTime":"2027-01-10T08:00:00Z","durationSeconds":61},{"usageId":"u2","callType":"user_in","upn":"payg@northwind.com","callerNumber":"+33612345678","calleeNumber":"+14255550100","startTime":"2027-01-10T08:30:00Z","durationSeconds":30}]}"#
            try await fixture.api.send(client, .post, "/v1/tenants/northwind/usage-records", upload, expect: .ok)

            let download = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn-usage?from=2027-01-01&to=2027-01-11", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/zip")
                return Data(buffer: response.body)
            }
            let archive = try Archive(data: download, accessMode: .read)
            let csvText = try Self.entry("pstn-usage.csv", of: archive)
            let rows = try Array(CSVReader(string: String(decoding: csvText, as: UTF8.self)))
            #expect(rows.first == UsageReportRow.columns, "the header, exactly")
            #expect(rows.count == 3)
            let byId = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], Dictionary(uniqueKeysWithValues: zip(UsageReportRow.columns, $0))) })
            #expect(byId["u1"]?["User Display Name"] == "Quinn \"Q\", Jr.", "a comma and quotes survive the round trip")
            #expect(byId["u1"]?["Destination Number"] == "+4915112345***", "Germany masks the last 3 digits")
            #expect(byId["u2"]?["Caller ID"] == "+3361234****", "France masks the caller's last 4")
            #expect(byId["u1"]?["Start Time"] == "2027-01-10T08:00:00Z")
            #expect(String(decoding: csvText, as: UTF8.self).contains("\r\n"), "RFC 4180 line ends")

            let parameters = try JSONSerialization.jsonObject(with: Self.entry("parameters.json", of: archive)) as? [String: Any]
            #expect(parameters?["from"] as? String == "2027-01-01T00:00:00Z" && parameters?["to"] as? String == "2027-01-11T00:00:00Z")
            #expect(parameters?["records"] as? Int == 2)
            #expect((parameters?["capabilities"] as? [String])?.contains("MCOPSTNPP") == true)

            // Never further back than the retention: a range starting years ago starts 365 days back.
            let old = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn-usage?from=2020-01-01&to=2027-01-11", method: .get) {
                Data(buffer: $0.body)
            }
            let clamped = try JSONSerialization.jsonObject(with: Self.entry("parameters.json", of: Archive(data: old, accessMode: .read))) as? [String: Any]
            #expect(clamped?["from"] as? String == "2026-01-10T09:00:00Z")
            let refused = try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/pstn-usage?from=2027-02-01&to=2027-01-01",
                                                     expect: .badRequest)
            #expect(refused["detail"] as? String == "from must come before to.")

            // The same as a workbook: a header of inline strings, times as date serials, money as numbers.
            let workbook = try await client.execute(uri: "/v1/tenants/northwind/reports/pstn-usage?from=2027-01-01&to=2027-01-11&format=xlsx",
                                                    method: .get) { response in
                #expect(response.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                return Data(buffer: response.body)
            }
            let xlsx = try Archive(data: workbook, accessMode: .read)
            #expect(Set(xlsx.map(\.path)) == ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                                               "xl/worksheets/sheet1.xml"])
            let sheet = String(decoding: try Self.entry("xl/worksheets/sheet1.xml", of: xlsx), as: UTF8.self)
            let header = sheet.components(separatedBy: "</row>")[0]
            #expect(header.components(separatedBy: "<c t=\"inlineStr\">").count - 1 == 25)
            #expect(sheet.contains("<c s=\"1\"><v>46397.33333333</v></c>"), "2027-01-10 08:00 UTC as a date serial")
            #expect(sheet.contains("Quinn &quot;Q&quot;, Jr."))
            let charge = try #require(byId["u1"]?["Charge"])
            #expect(sheet.contains("<c s=\"2\"><v>\(charge)</v></c>"), "the charge as a number, equal to the CSV's")
            try await fixture.api.send(client, .get, "/v1/tenants/northwind/reports/pstn-usage?format=pdf", expect: .badRequest)
        }
    }

    static func entry(_ name: String, of archive: Archive) throws -> Data {
        guard let entry = archive[name] else { throw CocoaError(.fileNoSuchFile) }
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        return data
    }
}
