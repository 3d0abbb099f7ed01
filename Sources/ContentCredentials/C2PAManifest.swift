/// What a C2PA manifest says about an asset (C2PA specification 2.x): the actions that made
/// it, the ingredients it was made from, further assertions, and who generated the claim.
/// `ManifestStore.build` turns it into the signed JUMBF manifest store.
public struct C2PAManifest: Sendable {
    public struct SoftwareAgent: Sendable, Equatable {
        public var name: String
        public var version: String?
        public init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }

        var cbor: CBOR {
            var pairs: [(CBOR, CBOR)] = [(.text("name"), .text(name))]
            if let version { pairs.append((.text("version"), .text(version))) }
            return .map(pairs)
        }
    }

    /// One entry of `c2pa.actions.v2`.
    public struct Action: Sendable {
        /// `c2pa.created`, `c2pa.resized`, `c2pa.edited`…
        public var action: String
        public var softwareAgent: SoftwareAgent?
        /// An IPTC digital source type URI.
        public var digitalSourceType: String?
        public var description: String?
        /// RFC 3339 time.
        public var when: String?
        /// Indexes into `ingredients` the action used (written as hashed URIs to their assertions).
        public var ingredients: [Int]
        /// Further parameters, in order.
        public var parameters: [(String, CBOR)]

        public init(
            _ action: String, softwareAgent: SoftwareAgent? = nil, digitalSourceType: String? = nil, description: String? = nil,
            when: String? = nil, ingredients: [Int] = [], parameters: [(String, CBOR)] = []
        ) {
            self.action = action
            self.softwareAgent = softwareAgent
            self.digitalSourceType = digitalSourceType
            self.description = description
            self.when = when
            self.ingredients = ingredients
            self.parameters = parameters
        }
    }

    /// An ingredient (`c2pa.ingredient.v3`) without a manifest of its own. Its content hash goes
    /// in `metadata`: the `data` field would name a hashed external URI, which validators try to
    /// resolve and report missing.
    public struct Ingredient: Sendable {
        public var title: String
        /// Its media type, when known.
        public var format: String?
        /// `inputTo`, `parentOf` or `componentOf`.
        public var relationship: String
        public var description: String?
        public var metadata: [(String, CBOR)]

        public init(title: String, format: String?, relationship: String, description: String? = nil, metadata: [(String, CBOR)] = []) {
            self.title = title
            self.format = format
            self.relationship = relationship
            self.description = description
            self.metadata = metadata
        }
    }

    /// Another assertion, CBOR or JSON, under a label of its own (reverse domain name for
    /// assertions that are not C2PA's).
    public struct Assertion: Sendable {
        public enum Content: Sendable {
            case cbor(CBOR)
            case json([UInt8])
        }
        public var label: String
        public var content: Content
        public init(label: String, content: Content) {
            self.label = label
            self.content = content
        }
    }

    public var title: String
    /// The asset's media type.
    public var format: String
    public var claimGenerator: SoftwareAgent
    public var actions: [Action]
    public var ingredients: [Ingredient]
    public var assertions: [Assertion]

    public init(
        title: String, format: String, claimGenerator: SoftwareAgent, actions: [Action], ingredients: [Ingredient] = [],
        assertions: [Assertion] = []
    ) {
        self.title = title
        self.format = format
        self.claimGenerator = claimGenerator
        self.actions = actions
        self.ingredients = ingredients
        self.assertions = assertions
    }

    /// IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/).
    public static let trainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    public static let compositeWithTrainedAlgorithmicMedia =
        "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
}
