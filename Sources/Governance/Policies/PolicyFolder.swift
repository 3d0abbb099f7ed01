import Foundation
public import LedgerLog

/// A `policies/` folder: `models.yaml`, `governance.yaml` and `routing/*.yaml`, read and checked
/// together (routing tables must name catalog models of the right tier and modality, on tiers the
/// governance policy allows for the stage).
public struct PolicyFolder: Sendable {
    public var catalog: ModelCatalog
    public var catalogDocument: PolicyDocument
    public var governance: GovernancePolicy
    public var governanceDocument: PolicyDocument
    public var tables: [(table: RoutingTable, document: PolicyDocument)]

    /// Reads and checks a folder. Throws every error found, in every file: each wrong entry of a
    /// list (a model, a rule) is reported, not only the first of its file.
    public init(directory: String, limits: YAMLLimits = .standard) throws {
        var errors: [GovernanceError] = []
        func load<T>(_ relative: String, _ read: (Fields) throws -> T) -> (T, PolicyDocument)? {
            let path = (directory as NSString).appendingPathComponent(relative)
            do {
                // Sized before it is read: a huge file is refused without loading it.
                if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue,
                    size > limits.maxBytes
                {
                    var error = GovernanceError(.invalidPolicy, "the file is \(size) bytes; the limit is \(limits.maxBytes)")
                    error.file = path
                    throw error
                }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    var error = GovernanceError(.invalidPolicy, "cannot read the file (missing, unreadable or not UTF-8)")
                    error.file = path
                    throw error
                }
                let document = try PolicyDocument(yaml: text, file: path, limits: limits)
                return (try document.read(read), document)
            } catch let error as GovernanceError {
                var first = error
                first.alsoFound = []
                errors.append(first)
                errors += error.alsoFound
            } catch {
                var failure = GovernanceError(.invalidPolicy, "\(error)")
                failure.file = path
                errors.append(failure)
            }
            return nil
        }
        let catalog = load("models.yaml", ModelCatalog.init)
        let governance = load("governance.yaml", GovernancePolicy.init)
        let routingDirectory = (directory as NSString).appendingPathComponent("routing")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: routingDirectory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        if names.isEmpty {
            var error = GovernanceError(.invalidPolicy, "no routing tables (routing/*.yaml)")
            error.file = routingDirectory
            errors.append(error)
        }
        let tables = names.compactMap { load("routing/\($0)", RoutingTable.init) }
        guard errors.isEmpty, let catalog, let governance else { throw PolicyFolderError(errors: errors) }
        self.catalog = catalog.0
        self.catalogDocument = catalog.1
        self.governance = governance.0
        self.governanceDocument = governance.1
        self.tables = tables.map { (table: $0.0, document: $0.1) }
        let crossErrors = crossCheck()
        if !crossErrors.isEmpty { throw PolicyFolderError(errors: crossErrors) }
    }

    /// Every routing table against the catalog and the governance policy.
    func crossCheck() -> [GovernanceError] {
        var errors: [GovernanceError] = []
        let models = Dictionary(uniqueKeysWithValues: catalog.models.map { ($0.id, $0) })
        var tableNames: [String: String] = [:]
        for (table, document) in tables {
            func fail(_ field: String, _ message: String) {
                errors.append(document.locate(GovernanceError(.invalidPolicy, message, field: field)))
            }
            if let other = tableNames[table.name] { fail("table", "table '\(table.name)' is also defined in \(other)") }
            tableNames[table.name] = document.file
            for (model, field) in table.modelReferences where models[model] == nil {
                fail(field, "model '\(model)' is not in models.yaml")
            }
            for (i, rule) in table.rules.enumerated() {
                guard let primary = models[rule.primary] else { continue }
                if primary.tier != rule.tier {
                    fail(
                        "rules[\(i)].primary",
                        "'\(primary.id)' is \(primary.tier.rawValue) tier; the rule routes to \(rule.tier.rawValue)")
                }
                let modalities = rule.match.modalities ?? table.modalities
                if !modalities.contains(where: primary.modalities.contains) {
                    fail(
                        "rules[\(i)].primary",
                        "'\(primary.id)' offers none of \(modalities.map(\.rawValue).joined(separator: ", "))")
                }
                for stage in rule.match.stages ?? Stage.allCases {
                    let allowed = governance.tiersByStage[stage] ?? []
                    if !allowed.contains(rule.tier) {
                        fail(
                            "rules[\(i)].tier",
                            "\(rule.tier.rawValue) tier is not allowed for \(stage.rawValue) work by governance.yaml; narrow match.stage or change the tier"
                        )
                    }
                }
            }
        }
        return errors
    }

    /// The events that bring the ledger's state up to this folder: only models, tables and
    /// policies that differ from what is recorded. A changed document whose version was not
    /// raised is an error, so every recorded version names one document.
    public func publication(against state: GovernanceState, actor: String?, on date: CalendarDate) throws -> [ProposedEvent] {
        var events: [ProposedEvent] = []
        func event(_ type: EventType, _ stream: String, _ payload: JSONValue, author: String) {
            // Named by content and log position: republishing the same folder at the same point
            // is idempotent, and a simulation's history is reproducible.
            let name = "\(state.position)|\(events.count)|\(type.rawValue)|\(stream)|\(PolicyDigest.of(payload))"
            events.append(
                ProposedEvent(
                    id: GovernedLedger.derivedID(name), type: type.rawValue, stream: stream, payload: payload,
                    actor: actor ?? author))
        }
        let catalogAuthor = "catalog:\(catalog.name)"
        for model in catalog.models {
            let stream = "model/\(model.id)"
            guard let recorded = state.models[model.id] else {
                var payload: [String: JSONValue] = [
                    "model": .string(model.id), "provider": .string(model.provider), "version": .string(model.version),
                    "tier": .string(model.tier.rawValue), "modalities": .array(model.modalities.map { .string($0.rawValue) }),
                    "pricing": model.prices[0].json, "effective": .string(model.prices[0].effective.description),
                ]
                payload["catalog"] = .string(catalog.name)
                event(.modelRegistered, stream, .object(payload), author: catalogAuthor)
                for price in model.prices.dropFirst() {
                    event(.modelPricingChanged, stream, Self.pricePayload(model.id, price), author: catalogAuthor)
                }
                if model.status != .active {
                    event(.modelStatusChanged, stream, Self.statusPayload(model, date), author: catalogAuthor)
                }
                continue
            }
            for price in model.prices where !recorded.prices.contains(price) {
                event(.modelPricingChanged, stream, Self.pricePayload(model.id, price), author: catalogAuthor)
            }
            if recorded.version != model.version {
                event(
                    .modelVersionChanged, stream,
                    [
                        "model": .string(model.id), "version": .string(model.version), "effective": .string(date.description),
                        "reason": "catalog updated",
                    ], author: catalogAuthor)
            }
            if recorded.status != model.status || (model.status == .degraded && recorded.failureMode != model.failureMode) {
                event(.modelStatusChanged, stream, Self.statusPayload(model, date), author: catalogAuthor)
            }
        }

        let governanceDigest = PolicyDigest.of(governanceDocument.value)
        if state.policies[governance.name]?.digest != governanceDigest {
            try requireNewVersion(
                governance.version, over: state.policies[governance.name]?.version, governanceDocument,
                "policy '\(governance.name)'")
            let author = governanceDocument.value["author"]?.stringValue ?? "unknown"
            event(
                .policyPublished, "policy/\(governance.name)",
                [
                    "policy": .string(governance.name), "version": .number(Double(governance.version)),
                    "document": governanceDocument.value, "digest": .string(governanceDigest), "author": .string(author),
                ], author: author)
        }
        for (table, document) in tables {
            let digest = PolicyDigest.of(document.value)
            guard state.tables[table.name]?.digest != digest else { continue }
            try requireNewVersion(
                table.version, over: state.tables[table.name]?.version, document, "routing table '\(table.name)'")
            let author = document.value["author"]?.stringValue ?? "unknown"
            event(
                .routingTablePublished, "routing/\(table.name)",
                [
                    "table": .string(table.name), "version": .number(Double(table.version)), "document": document.value,
                    "digest": .string(digest), "author": .string(author),
                    "rationale": document.value["rationale"] ?? .string(""),
                ], author: author)
        }
        return events
    }

    private func requireNewVersion(_ version: Int64, over recorded: Int64?, _ document: PolicyDocument, _ what: String) throws {
        if let recorded, version <= recorded {
            throw document.locate(
                GovernanceError(
                    .invalidPolicy,
                    "\(what) differs from the published v\(recorded) but its version is \(version); raise the version to publish it",
                    field: "version"))
        }
    }

    static func pricePayload(_ model: String, _ price: Price) -> JSONValue {
        [
            "model": .string(model), "pricing": price.json, "effective": .string(price.effective.description),
            "reason": "catalog price update",
        ]
    }

    static func statusPayload(_ model: ModelSpec, _ date: CalendarDate) -> JSONValue {
        var payload: [String: JSONValue] = [
            "model": .string(model.id), "status": .string(model.status.rawValue), "effective": .string(date.description),
            "reason": .string(model.statusReason ?? "catalog updated"),
        ]
        if let mode = model.failureMode { payload["failure_mode"] = .string(mode.rawValue) }
        return .object(payload)
    }
}

/// Every error found in a policy folder, one per line.
public struct PolicyFolderError: Error, Sendable, CustomStringConvertible {
    public var errors: [GovernanceError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
