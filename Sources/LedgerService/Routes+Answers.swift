import Foundation
import Governance
import Hummingbird
import LedgerLog
import Projections
import Reports

/// The answers the projections give: routing in force and its history, the reports, an asset's
/// explanation, and replays. JSON under /v1; the same documents as HTML pages under /pages.
extension LedgerEndpoints {
    /// A report the service can answer, by path (without the /v1 or /pages prefix).
    struct ReportRoute: Sendable {
        let path: String
        let build: @Sendable (Projections, UInt64, Request, Parameters) throws -> ReportDocument
    }

    static let reportRoutes: [ReportRoute] = [
        ReportRoute(path: "/routing/current") { projections, asOf, _, _ in
            try RoutingReports.current(projections, asOf: asOf)
        },
        ReportRoute(path: "/routing/history") { projections, asOf, _, _ in
            try RoutingReports.history(projections, asOf: asOf)
        },
        ReportRoute(path: "/reports/quarterly") { projections, asOf, request, _ in
            let quarter: Quarter
            if let text = request.uri.queryParameters.get("quarter") {
                guard let parsed = Quarter(text) else {
                    throw APIError.badRequest("'\(text)' is not a quarter (2026-Q3)", field: "quarter")
                }
                quarter = parsed
            } else {
                quarter = try QuarterlyReport.quarter(of: asOf, in: projections)
            }
            return try QuarterlyReport.build(projections, quarter: quarter, asOf: asOf)
        },
        ReportRoute(path: "/reports/costs") { projections, asOf, request, _ in
            guard let month = request.uri.queryParameters.get("month") else {
                throw APIError.badRequest("the query parameter month is required: YYYY-MM, as 2026-09", field: "month")
            }
            guard CalendarDate(month + "-01") != nil else {
                throw APIError.badRequest("'\(month)' is not a month (2026-09)", field: "month")
            }
            return try CostsReport.build(projections, month: month, asOf: asOf)
        },
        ReportRoute(path: "/reports/compliance") { projections, asOf, request, _ in
            func date(_ name: String) throws -> CalendarDate {
                guard let text = request.uri.queryParameters.get(name) else {
                    throw APIError.badRequest("the query parameter \(name) is required: YYYY-MM-DD", field: name)
                }
                guard let date = CalendarDate(text) else {
                    throw APIError.badRequest("'\(text)' is not a date (YYYY-MM-DD)", field: name)
                }
                return date
            }
            let (from, to) = (try date("from"), try date("to"))
            guard !(to < from) else { throw APIError.badRequest("must not be before from", field: "to") }
            return try ComplianceReport.build(
                projections, from: from, to: to, campaign: request.uri.queryParameters.get("campaign"), asOf: asOf)
        },
        ReportRoute(path: "/reports/deliverables/{id}") { projections, asOf, _, parameters in
            guard let id = parameters.get("id"), !id.isEmpty else { throw APIError.badRequest("the path parameter id is required", field: "id") }
            do { return try DeliverableReport.build(projections, deliverable: id, asOf: asOf) } catch let error as GovernanceError
                where error.field == "deliverable"
            {
                throw APIError(.notFound, "not-found", error.message, details: ["field": "deliverable"])
            }
        },
        ReportRoute(path: "/reports/campaigns/{id}") { projections, asOf, _, parameters in
            guard let id = parameters.get("id"), !id.isEmpty else { throw APIError.badRequest("the path parameter id is required", field: "id") }
            do { return try DeliverableReport.buildCampaign(projections, campaign: id, asOf: asOf) } catch let error
                as GovernanceError where error.field == "campaign"
            {
                throw APIError(.notFound, "not-found", error.message, details: ["field": "campaign"])
            }
        },
        ReportRoute(path: "/assets/{id}/explain") {
            projections, asOf, _, parameters in
            guard let asset = parameters.get("id"), !asset.isEmpty else { throw APIError.badRequest("the path parameter id is required", field: "id") }
            do { return try ExplainReport.build(projections, asset: asset, asOf: asOf) } catch let error as LedgerError
                where error.code == .badInput && error.field == "asset"
            {
                throw APIError(.notFound, "not-found", error.message, details: ["field": "asset"])
            }
        },
    ]

    func addAnswerRoutes(to router: Router<ServiceRequestContext>) {
        for route in Self.reportRoutes {
            router.get(RouterPath("/v1" + route.path)) { request, context in
                _ = try context.require(Access.read)
                let text = try await self.report(route, request, context, format: .json)
                return Response.text(text, contentType: "application/json")
            }
        }

        router.post("/v1/replay") { request, context in
            let reader = try context.require(Access.read)
            let body = try await self.jsonObject(request)
            let known: Set<String> = ["routing", "compare_published", "table", "from", "to", "quarter", "as_of", "record"]
            if let field = Set(body.keys).subtracting(known).sorted().first {
                throw APIError.badRequest("unknown field", field: field)
            }
            let record = body["record"] == .bool(true)
            let token = record ? try context.require(Access.write) : reader
            // With an Idempotency-Key a retried record answers the first: the replay is computed
            // again as of the seq the recorded one was computed at, and nothing is appended.
            let id = record ? try self.idempotencyKey(request).map { Self.derivedID(token: token, key: $0, index: 0) } : nil
            let earlier = try await self.readers.read { ledger -> (event: JSONValue, asOf: String)? in
                guard let id, let event = try ledger.event(id: id.uuidString.lowercased()) else { return nil }
                guard event.type == EventType.replayCompleted.rawValue,
                    let asOf = (try JSONParser.parse(event.payloadBytes))["as_of"]?.integerValue
                else {
                    throw LedgerError(
                        .conflict, "the Idempotency-Key was used for seq \(event.seq), a \(event.type)", seq: event.seq)
                }
                let appended = AppendedEvent(
                    seq: event.seq, id: event.id, streamVersion: event.streamVersion, hash: event.hash, isDuplicate: true)
                return (GovernedAppend(appended: appended).json, String(asOf))
            }
            try await self.committer.catchUpProjections()
            let (report, summary, table) = try await self.readers.read { ledger in
                let projections = Projections(ledger)
                let asOf = try projections.resolve(asOf: try earlier?.asOf ?? Self.string(body, "as_of"))
                var window = Replay.Window(from: try Self.date(body, "from"), to: try Self.date(body, "to"))
                if let text = try Self.string(body, "quarter") {
                    guard let quarter = Quarter(text) else {
                        throw APIError.badRequest("'\(text)' is not a quarter (YYYY-Qn)", field: "quarter")
                    }
                    guard window.from == nil && window.to == nil else {
                        throw APIError.badRequest("quarter replaces from and to: give one or the other", field: "quarter")
                    }
                    window = Replay.Window(from: quarter.days.first, to: quarter.days.last)
                }
                if let from = window.from, let to = window.to, to < from {
                    throw APIError.badRequest("the window ends (\(to)) before it starts (\(from))", field: "to")
                }
                let candidate: CandidateTable
                switch (try Self.string(body, "routing"), try Self.string(body, "compare_published")) {
                case (let yaml?, nil):
                    candidate = try CandidateTable(
                        yaml: yaml, file: "routing", knownModels: try projections.registeredModels(asOf: asOf))
                case (nil, let published?):
                    let parts = published.split(separator: "@", omittingEmptySubsequences: false)
                    guard let version = Int64(parts.last!), parts.count <= 2 else {
                        throw APIError.badRequest("'\(published)' is not a version (V or TABLE@V)", field: "compare_published")
                    }
                    candidate = try projections.publishedCandidate(
                        table: parts.count == 2 ? String(parts[0]) : try Self.string(body, "table"), version: version, asOf: asOf)
                default:
                    throw APIError.badRequest("give exactly one of routing (YAML text) and compare_published (V or TABLE@V)")
                }
                let replay = try projections.replay(candidate, window: window, asOf: asOf)
                return (
                    try ReplayReport.build(projections, replay).rendered(as: .json), ReplayReport.summary(replay), replay.table
                )
            }
            guard record else { return Response.text(report, contentType: "application/json") }
            if let earlier {
                let wrapped = #"{"recorded":\#(CanonicalJSON.string(of: earlier.event)),"report":\#(report)}"#
                return Response.text(wrapped, contentType: "application/json")
            }
            let event = ProposedEvent(
                id: id, type: EventType.replayCompleted.rawValue, stream: "routing/\(table)", payload: summary, actor: token.name)
            let appended = try await self.commit { $0.append([event]).map { $0[0] } }
            if !appended.appended.isDuplicate { self.metrics.appended(1) }
            // The report's own JSON, with where it was recorded beside it.
            let wrapped = #"{"recorded":\#(CanonicalJSON.string(of: appended.json)),"report":\#(report)}"#
            return Response.text(wrapped, contentType: "application/json", status: appended.appended.isDuplicate ? .ok : .created)
        }
    }

    /// Catches the read models up, resolves `as_of` and renders the report.
    func report(_ route: ReportRoute, _ request: Request, _ context: ServiceRequestContext, format: ReportFormat) async throws
        -> String
    {
        try await committer.catchUpProjections()
        let asOfText = request.uri.queryParameters.get("as_of")
        let parameters = context.parameters
        return try await readers.read { ledger in
            let projections = Projections(ledger)
            let asOf: UInt64
            do { asOf = try projections.resolve(asOf: asOfText) } catch let error as LedgerError {
                throw APIError.badRequest(error.message, field: "as_of")
            }
            return try route.build(projections, asOf, request, parameters).rendered(as: format)
        }
    }

    static func string(_ body: [String: JSONValue], _ key: String) throws -> String? {
        guard let value = body[key], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw APIError.badRequest("must be a string, not \(value.kindName)", field: key)
        }
        return string
    }

    static func date(_ body: [String: JSONValue], _ key: String) throws -> CalendarDate? {
        guard let text = try string(body, key) else { return nil }
        guard let date = CalendarDate(text) else { throw APIError.badRequest("'\(text)' is not a date (YYYY-MM-DD)", field: key) }
        return date
    }
}
