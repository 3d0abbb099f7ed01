import Foundation
@testable import Projections
import Testing

/// The column definitions every feed's SQL is written from, read once from the schema's text.
@Suite struct ProjectionSchemaTests {
    @Test func everyTablesColumnsAreReadFromItsDefinition() {
        let tables = ProjectionSchema.projections.flatMap(\.tables)
        #expect(tables.count > 15)
        for table in tables {
            let columns = ProjectionSchema.columnDefinitions(of: table.name)
            let definitions = table.columns.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(columns.map(\.name) == ProjectionSchema.columnNames(table.columns), "\(table.name)")
            #expect(columns.count == definitions.count && columns.first?.name == "seq", "\(table.name)")
            for (column, definition) in zip(columns, definitions) {
                #expect(definition.hasPrefix("\(column.name) \(column.type)"), "\(table.name): \(definition)")
                #expect(["INTEGER", "TEXT", "REAL", "BLOB"].contains(column.type), "\(table.name).\(column.name)")
                #expect(column.notNull == definition.contains("NOT NULL"), "\(table.name).\(column.name)")
            }
        }
        // Spot checks against the schema as written.
        let assets = ProjectionSchema.columnDefinitions(of: "proj_assets")
        #expect(assets.map(\.notNull) == [true, true, true, false, false, false, false, true])
        #expect(ProjectionSchema.columnTypes(of: "proj_replays").suffix(3) == ["REAL", "TEXT", "TEXT"])
        #expect(ProjectionSchema.columnDefinitions(of: "proj_nothing").isEmpty)
    }
}
