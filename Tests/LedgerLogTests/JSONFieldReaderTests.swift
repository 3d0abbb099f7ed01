import LedgerLog
import LedgerTestSupport
import Testing

@Suite("Payload fields read in one pass, as SQLite's and PostgreSQL's JSON operators read them")
struct JSONFieldReaderTests {
    /// The fields of `json` at `paths`, as (kind, text of the value's bytes).
    private func read(_ json: String, _ paths: [String]) throws -> [(JSONFieldReader.Kind, String)] {
        let reader = JSONFieldReader(paths: paths)
        var fields: [JSONFieldReader.Field] = []
        let bytes = Array(json.utf8)
        return try bytes.withUnsafeBytes { raw in
            try reader.read(raw, into: &fields)
            return fields.map { field in
                let text =
                    field.kind == .escapedString
                    ? String(decoding: JSONFieldReader.unescaped(raw, field), as: UTF8.self)
                    : String(decoding: raw[field.start..<field.end], as: UTF8.self)
                return (field.kind, text)
            }
        }
    }

    @Test("every kind of value, nested paths, shared prefixes, absent members and escapes")
    func kinds() throws {
        let json = #"""
            {"a":"plain","b":"say \"hi\"\n\u00e9\ud83d\ude00","c":-12,"d":0.04,"e":1e+21,"f":true,"g":false,"h":null,
             "gate":{"outcome":"denied","rules":["cap","budget"],"findings":[{"rule":"cap"}]},"x":[1,{"y":2}],"z":{}}
            """#
        let fields = try read(
            json,
            ["a", "b", "c", "d", "e", "f", "g", "h", "gate", "gate.outcome", "gate.rules", "gate.findings", "gate.nothing", "x", "x.y",
             "z", "missing", "a.b"])
        let expected: [(JSONFieldReader.Kind, String)] = [
            (.string, "plain"), (.escapedString, "say \"hi\"\né😀"), (.number, "-12"), (.number, "0.04"), (.number, "1e+21"),
            (.true, "true"), (.false, "false"), (.null, "null"),
            (.object, #"{"outcome":"denied","rules":["cap","budget"],"findings":[{"rule":"cap"}]}"#), (.string, "denied"),
            (.array, #"["cap","budget"]"#), (.array, #"[{"rule":"cap"}]"#), (.absent, ""), (.array, #"[1,{"y":2}]"#), (.absent, ""),
            (.object, "{}"), (.absent, ""), (.absent, ""),
        ]
        #expect(fields.count == expected.count)
        for (index, (field, wanted)) in zip(fields, expected).enumerated() {
            #expect(field.0 == wanted.0 && field.1 == wanted.1, "path #\(index)")
        }
        // A member whose name is written with an escape is found by its decoded name.
        #expect(try read(#"{"\u0061":1}"#, ["a"]).first?.1 == "1")
        // A payload that is not an object has no fields.
        #expect(try read("[1,2]", ["a"]).first?.0 == .absent)
    }

    @Test("malformed bytes are refused with the offset, never read past", arguments: [
        #"{"a":"#, #"{"a":"x}"#, #"{"a":[1,2}"#, #"{"a":{"b":1]}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{"a":tru}"#, #"{"a":1} x"#,
        #"{"a":1"#, "", "{\"b\":\"\u{1}\"}",
    ])
    func malformed(json: String) throws {
        #expect(throws: JSONParser.Failure.self) { _ = try read(json, ["a", "b.c"]) }
    }

    @Test("nesting deeper than JSONParser allows is refused, not recursed into")
    func deep() throws {
        let deep = #"{"a":"# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        #expect(throws: JSONParser.Failure.self) { _ = try read(deep, ["b"]) }
        let fine = #"{"a":"# + String(repeating: "[", count: 60) + String(repeating: "]", count: 60) + #","b":7}"#
        #expect(try read(fine, ["b"]).first?.1 == "7")
    }

    /// Every payload field parameter a feed binds equals what the store's own JSON operators read
    /// from the payload, column for column: the reader is checked against SQLite's and
    /// PostgreSQL's JSON implementations, over values of every kind.
    @Test("bound fields equal the store's JSON operators on the same payloads", arguments: TestStore.allCases)
    func agreesWithStore(store: TestStore) throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try LedgerFixtures.make(in: directory, store: store)
        let payloads: [JSONValue] = [
            ["s": "plain", "n": 42, "r": 0.125, "big": 12_345_678_901_234, "neg": -7, "t": true, "f": false, "z": .null,
             "o": ["k": ["deep": "v"], "list": [1, "two"]], "a": ["x", ["y": 1]]],
            ["s": "quote \" backslash \\ tab \t newline \n é 😀 \u{1}", "n": 0, "r": 1e21, "o": ["k": "not an object"]],
            ["other": 1],
        ]
        try ledger.append(
            payloads.enumerated().map { index, payload in
                ProposedEvent(
                    type: "cost.recorded", stream: "deliverable/D-\(index)", payload: payload,
                    occurredAt: Timestamp(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(index)), actor: "pipeline:test")
            })
        let paths = ["s", "n", "r", "big", "neg", "t", "f", "z", "o", "o.k", "o.k.deep", "o.list", "a", "missing", "s.x"]
        let rows = try ledger.withSideTables(write: true) { tables in
            let sql = tables.dialect
            let columns = paths.indices.map { "f\($0) TEXT, j\($0) TEXT, h\($0) INTEGER, p\($0) TEXT, q\($0) TEXT, e\($0) INTEGER" }
            try tables.execute("CREATE TABLE seen (seq INTEGER, \(columns.joined(separator: ", ")))")
            // Compared as text (typeof aside), so both stores give one shape of row.
            let values = paths.map { path in
                [
                    "CAST(\(sql.payloadField(path)) AS TEXT)", "CAST(\(sql.payloadJSON(path)) AS TEXT)",
                    "CASE WHEN \(sql.payloadHas(path)) THEN 1 ELSE 0 END",
                    "CAST(\(sql.member(path, of: ":payload")) AS TEXT)", "CAST(\(sql.fragment(path, of: ":payload")) AS TEXT)",
                    "CASE WHEN \(sql.has(path, in: ":payload")) THEN 1 ELSE 0 END",
                ].joined(separator: ", ")
            }
            let feed = try tables.feed(
                types: ["cost.recorded"], "INSERT INTO seen VALUES (\(sql.typed(":seq", as: "INTEGER")), \(values.joined(separator: ", ")))")
            #expect(try tables.run([feed], after: 0) == 3)
            return try tables.rows("SELECT * FROM seen ORDER BY seq")
        }
        #expect(rows.count == 3)
        for row in rows {
            for (index, path) in paths.enumerated() {
                let base = 1 + index * 6
                let (field, json, has, member, fragment, present) =
                    (row[base], row[base + 1], row[base + 2], row[base + 3], row[base + 4], row[base + 5])
                // Booleans: SQLite's ->> gives 1 and 0, PostgreSQL's #>> true and false; the
                // reader gives each store its own.
                #expect(field == member, "seq \(row[0]) field \(path): \(field) vs \(member)")
                #expect(has == present, "seq \(row[0]) has \(path)")
                // -> gives JSON text for every kind; the parameter gives the text as written,
                // which is canonical here. A JSON null: SQLite's -> gives 'null', PostgreSQL's #> too.
                #expect(json == fragment, "seq \(row[0]) json \(path): \(json) vs \(fragment)")
            }
        }
    }
}
