/// Which country a number belongs to, from its ITU country calling code (and, in the North
/// American Numbering Plan, its area code): enough to tell a domestic call from an
/// international one and to find Zone A destinations.
public enum NumberingPlan {
    /// The country of `number`, or nil for a code this table does not place (an international
    /// network, say): such a call is international wherever the caller is.
    public static func country(of number: PhoneNumber) -> CountryCode? {
        var key = 0
        var found: CountryCode?
        for (length, digit) in number.digits.prefix(4).enumerated() {
            key = key * 10 + Int(digit)
            // Keys are tagged with their length so that "1" and "01" never meet.
            if let country = countryByCode[key * 10 + length + 1] { found = country }
        }
        return found
    }

    /// The emergency short codes dialled as they are (never in E.164 form): 112 and 911 wherever
    /// a network routes them, and the national ones of the Zone A countries. A call to one is
    /// always allowed and never charged (`DOMAIN.md` section 7); a platform that does not say
    /// the call type (a Diameter client) is known by the number.
    public static let emergencyShortCodes: Set<String> = [
        "112", "911", "999", "000", "110", "119", "118", "100", "101", "102", "108",
        "15", "17", "18", "113", "117", "144", "133", "061", "062",
    ]

    /// The Audio Conferencing dial-out Zone A: 44 countries and regions whose numbers the
    /// conferencing pool pays for.
    public static let zoneA: Set<CountryCode> = Set(
        [
            "AU", "AT", "BE", "BR", "BG", "CA", "CN", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
            "HK", "HU", "IE", "IL", "IT", "JP", "LV", "LT", "LU", "MY", "NL", "NZ", "NO", "PL", "PT", "PR",
            "RO", "SG", "SK", "SI", "ZA", "KR", "ES", "SE", "CH", "TW", "GB", "US",
        ].map { CountryCode($0)! }
    )

    private static let countryByCode: [Int: CountryCode] = {
        var table: [Int: CountryCode] = [:]
        func add(_ codes: String, _ country: String) {
            for code in codes.split(separator: " ") {
                table[Int(code)! * 10 + code.count] = CountryCode(country)!
            }
        }
        for entry in callingCodes.split(separator: ",") {
            let parts = entry.split(separator: ":")
            add(String(parts[0]), String(parts[1]).trimmingWhitespace)
        }
        add(canadianAreaCodes.split(separator: " ").map { "1" + $0 }.joined(separator: " "), "CA")
        return table
    }()

    /// `codes:country` pairs; several codes separated by spaces. North American area codes
    /// outside the United States are listed as `1` plus the area code.
    private static let callingCodes = """
        1:US,1787 1939:PR,1876:JM,1242:BS,1246:BB,1809 1829 1849:DO,1868:TT,7:RU,76 77:KZ,20:EG,27:ZA,30:GR,31:NL,32:BE,\
        33:FR,34:ES,36:HU,39:IT,40:RO,41:CH,43:AT,44:GB,45:DK,46:SE,47:NO,48:PL,49:DE,51:PE,52:MX,53:CU,54:AR,55:BR,56:CL,\
        57:CO,58:VE,60:MY,61:AU,62:ID,63:PH,64:NZ,65:SG,66:TH,81:JP,82:KR,84:VN,86:CN,90:TR,91:IN,92:PK,93:AF,94:LK,95:MM,\
        98:IR,211:SS,212:MA,213:DZ,216:TN,218:LY,220:GM,221:SN,233:GH,234:NG,251:ET,254:KE,255:TZ,256:UG,260:ZM,263:ZW,\
        297:AW,351:PT,352:LU,353:IE,354:IS,355:AL,356:MT,357:CY,358:FI,359:BG,370:LT,371:LV,372:EE,373:MD,374:AM,375:BY,\
        376:AD,377:MC,380:UA,381:RS,382:ME,385:HR,386:SI,387:BA,389:MK,420:CZ,421:SK,423:LI,501:BZ,502:GT,503:SV,504:HN,\
        505:NI,506:CR,507:PA,591:BO,593:EC,595:PY,598:UY,852:HK,853:MO,855:KH,856:LA,880:BD,886:TW,960:MV,961:LB,962:JO,\
        963:SY,964:IQ,965:KW,966:SA,967:YE,968:OM,970:PS,971:AE,972:IL,973:BH,974:QA,975:BT,976:MN,977:NP,992:TJ,993:TM,\
        994:AZ,995:GE,996:KG,998:UZ
        """

    private static let canadianAreaCodes = """
        204 226 236 249 250 263 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 468 474 506 514 519 \
        548 579 581 584 587 604 613 639 647 672 683 705 709 742 753 778 780 782 807 819 825 867 873 879 902 905
        """
}
