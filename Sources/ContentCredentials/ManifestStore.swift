import Foundation
import LedgerLog

/// The C2PA manifest store (a `c2pa` JUMBF superbox) holding one manifest: its assertion store,
/// its claim (`c2pa.claim.v2`) and the claim's COSE_Sign1 signature.
public enum ManifestStore {
    /// Byte ranges of the asset left out of its hard binding: where the manifest store itself sits.
    public struct Exclusion: Sendable, Equatable {
        public var start: Int
        public var length: Int
        public init(start: Int, length: Int) {
            self.start = start
            self.length = length
        }
    }

    public static let assertionStoreLabel = "c2pa.assertions"
    public static let claimLabel = "c2pa.claim.v2"
    public static let signatureLabel = "c2pa.signature"
    public static let dataHashLabel = "c2pa.hash.data"
    public static let actionsLabel = "c2pa.actions.v2"
    public static let ingredientLabel = "c2pa.ingredient.v3"

    /// The signed manifest store for `manifest`, bound to the asset whose bytes outside
    /// `exclusions` have SHA-256 `assetHash` (`c2pa.hash.data`).
    public static func build(
        _ manifest: C2PAManifest, assetHash: [UInt8], exclusions: [Exclusion], credential: SigningCredential,
        label: String? = nil, instanceID: String? = nil
    ) throws -> [UInt8] {
        let label = label ?? "urn:c2pa:" + UUID().uuidString.lowercased()
        let instanceID = instanceID ?? "xmp:iid:" + UUID().uuidString.lowercased()
        var boxes: [[UInt8]] = []
        var references: [CBOR] = []
        func add(_ assertionLabel: String, _ box: [UInt8]) -> CBOR {
            boxes.append(box)
            let reference = hashedURI("self#jumbf=\(assertionStoreLabel)/\(assertionLabel)", box)
            references.append(reference)
            return reference
        }

        var ingredientReferences: [CBOR] = []
        for (index, ingredient) in manifest.ingredients.enumerated() {
            let ingredientLabel = index == 0 ? ingredientLabel : "\(ingredientLabel)__\(index)"
            ingredientReferences.append(add(ingredientLabel, cborAssertion(ingredientLabel, ingredientCBOR(ingredient))))
        }
        let actions = try manifest.actions.map { action -> CBOR in
            for index in action.ingredients where !ingredientReferences.indices.contains(index) {
                throw ContentCredentialsError("action \(action.action) names ingredient \(index), which the manifest does not have")
            }
            return actionCBOR(action, ingredients: action.ingredients.map { ingredientReferences[$0] })
        }
        _ = add(actionsLabel, cborAssertion(actionsLabel, .object(["actions": .array(actions)])))
        for assertion in manifest.assertions {
            switch assertion.content {
            case .cbor(let value): _ = add(assertion.label, cborAssertion(assertion.label, value))
            case .json(let bytes):
                _ = add(assertion.label, JUMBF.superbox(type: JUMBF.jsonContent, label: assertion.label, contents: [JUMBF.box("json", bytes)]))
            }
        }
        var dataHash: [(CBOR, CBOR)] = []
        if !exclusions.isEmpty {
            dataHash.append(
                (.text("exclusions"), .array(exclusions.map { .object(["start": .unsigned(UInt64($0.start)), "length": .unsigned(UInt64($0.length))]) })))
        }
        dataHash += [
            (.text("name"), .text("jumbf manifest")), (.text("alg"), .text("sha256")), (.text("hash"), .bytes(assetHash)),
            (.text("pad"), .bytes([])),
        ]
        _ = add(dataHashLabel, cborAssertion(dataHashLabel, .map(dataHash)))

        let claim = CBOR.map([
            (.text("instanceID"), .text(instanceID)),
            (.text("claim_generator_info"), manifest.claimGenerator.cbor),
            (.text("signature"), .text("self#jumbf=/c2pa/\(label)/\(signatureLabel)")),
            (.text("created_assertions"), .array(references)),
            (.text("dc:title"), .text(manifest.title)),
            (.text("alg"), .text("sha256")),
        ]).encoded
        let signature = try COSESign1.sign(payload: claim, credential: credential)
        let manifestBox = JUMBF.superbox(
            type: JUMBF.manifest, label: label,
            contents: [
                JUMBF.superbox(type: JUMBF.assertionStore, label: assertionStoreLabel, contents: boxes),
                JUMBF.superbox(type: JUMBF.claim, label: claimLabel, contents: [JUMBF.box("cbor", claim)]),
                JUMBF.superbox(type: JUMBF.signature, label: signatureLabel, contents: [JUMBF.box("cbor", signature.encoded)]),
            ])
        return JUMBF.superbox(type: JUMBF.manifestStore, label: "c2pa", contents: [manifestBox])
    }

    static func cborAssertion(_ label: String, _ value: CBOR) -> [UInt8] {
        JUMBF.superbox(type: JUMBF.cborContent, label: label, contents: [JUMBF.box("cbor", value.encoded)])
    }

    /// A hashed URI: the SHA-256 of the referenced superbox's contents (its description box and
    /// content boxes, without its own 8-byte header), under the claim's algorithm.
    static func hashedURI(_ url: String, _ superbox: [UInt8]) -> CBOR {
        .object(["url": .text(url), "hash": .bytes(SHA256.hash(Array(superbox.dropFirst(8))).bytes)])
    }

    static func actionCBOR(_ action: C2PAManifest.Action, ingredients: [CBOR]) -> CBOR {
        var pairs: [(CBOR, CBOR)] = [(.text("action"), .text(action.action))]
        if let agent = action.softwareAgent { pairs.append((.text("softwareAgent"), agent.cbor)) }
        if let type = action.digitalSourceType { pairs.append((.text("digitalSourceType"), .text(type))) }
        if let description = action.description { pairs.append((.text("description"), .text(description))) }
        if let when = action.when { pairs.append((.text("when"), .text(when))) }
        var parameters = action.parameters.map { (CBOR.text($0.0), $0.1) }
        if !ingredients.isEmpty { parameters.insert((.text("ingredients"), .array(ingredients)), at: 0) }
        if !parameters.isEmpty { pairs.append((.text("parameters"), .map(parameters))) }
        return .map(pairs)
    }

    static func ingredientCBOR(_ ingredient: C2PAManifest.Ingredient) -> CBOR {
        var pairs: [(CBOR, CBOR)] = [(.text("dc:title"), .text(ingredient.title))]
        if let format = ingredient.format { pairs.append((.text("dc:format"), .text(format))) }
        pairs.append((.text("relationship"), .text(ingredient.relationship)))
        if let description = ingredient.description { pairs.append((.text("description"), .text(description))) }
        if !ingredient.metadata.isEmpty { pairs.append((.text("metadata"), .map(ingredient.metadata.map { (.text($0.0), $0.1) }))) }
        return .map(pairs)
    }
}
