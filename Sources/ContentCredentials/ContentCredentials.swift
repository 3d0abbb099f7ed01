import Foundation
import LedgerLog

/// Content Credentials (C2PA) for an asset's bytes: a sidecar manifest store, or the asset
/// with the store embedded, each hard-bound to the bytes by `c2pa.hash.data`.
public enum ContentCredentials {
    /// A `.c2pa` sidecar: the manifest store alone, bound to every byte of `asset`.
    public static func sidecar(_ manifest: C2PAManifest, asset: [UInt8], credential: SigningCredential) throws -> [UInt8] {
        try ManifestStore.build(manifest, assetHash: SHA256.hash(asset).bytes, exclusions: [], credential: credential)
    }

    /// `asset` with its manifest store embedded (PNG or JPEG). The binding excludes exactly the
    /// inserted bytes, so its hash is the SHA-256 of the asset as given; the exclusion's length
    /// is found by building until the wrapped store's size no longer changes.
    public static func embed(_ manifest: C2PAManifest, asset: [UInt8], credential: SigningCredential) throws -> [UInt8] {
        guard let container = AssetContainer.detect(asset) else {
            throw ContentCredentialsError(
                "only PNG and JPEG files take embedded Content Credentials; write a sidecar (--c2pa) for this file")
        }
        let start = try container.insertionPoint(asset)
        let hash = SHA256.hash(asset).bytes
        let label = "urn:c2pa:" + UUID().uuidString.lowercased()
        let instanceID = "xmp:iid:" + UUID().uuidString.lowercased()
        var length = 0
        for _ in 0..<8 {
            let store = try ManifestStore.build(
                manifest, assetHash: hash, exclusions: [.init(start: start, length: length)], credential: credential, label: label,
                instanceID: instanceID)
            let wrapped = container.wrap(store)
            if wrapped.count == length { return Array(asset[..<start]) + wrapped + Array(asset[start...]) }
            length = wrapped.count
        }
        throw ContentCredentialsError("the manifest store's size does not settle")
    }
}

extension ContentCredentials {
    /// A file's C2PA manifest store and the file's bytes without it: from a PNG's `caBX` chunk,
    /// a JPEG's APP11 JUMBF segments, or a sidecar (the store alone; then `asset` is nil).
    public static func manifestStore(in file: [UInt8]) throws -> (store: [UInt8], asset: [UInt8]?) {
        switch AssetContainer.detect(file) {
        case .png:
            guard let chunk = try PNG.chunks(file).first(where: { $0.type == "caBX" }) else {
                throw ContentCredentialsError("the PNG file carries no Content Credentials (no caBX chunk)")
            }
            return (
                Array(file[chunk.offset + 8..<chunk.offset + chunk.size - 4]),
                Array(file[..<chunk.offset]) + Array(file[(chunk.offset + chunk.size)...])
            )
        case .jpeg:
            var store: [UInt8] = []
            var asset = Array(file[..<2])
            var cursor = 2
            for segment in try JPEG.headerSegments(file) {
                asset += file[cursor..<segment.offset]
                cursor = segment.offset + segment.size
                let isFirst = store.isEmpty && JPEG.isManifestSegment(file, segment)
                let continues = !store.isEmpty && segment.marker == 0xEB && segment.size > 16
                    && Array(file[segment.offset + 4..<segment.offset + 8]) == [0x4A, 0x50, 0x02, 0x11]
                if isFirst || continues {
                    store += file[segment.offset + (isFirst ? 12 : 20)..<segment.offset + segment.size]
                } else {
                    asset += file[segment.offset..<segment.offset + segment.size]
                }
            }
            asset += file[cursor...]
            guard !store.isEmpty else { throw ContentCredentialsError("the JPEG file carries no Content Credentials (no APP11 JUMBF segments)") }
            return (store, asset)
        case nil:
            guard file.count > 8, Array(file[4..<8]) == Array("jumb".utf8) else {
                throw ContentCredentialsError("neither a PNG or JPEG file with Content Credentials nor a C2PA manifest store")
            }
            return (file, nil)
        }
    }

    /// The content of the assertion `label` in the active (last) manifest of a manifest store.
    public static func assertion(_ label: String, inStore store: [UInt8]) throws -> [UInt8] {
        guard let root = try JUMBF.read(store[...]).first, root.uuid == JUMBF.manifestStore,
            let manifest = root.children.last(where: { $0.uuid == JUMBF.manifest })
        else { throw ContentCredentialsError("not a C2PA manifest store") }
        guard let assertions = manifest.children.first(where: { $0.label == ManifestStore.assertionStoreLabel }),
            let assertion = assertions.children.first(where: { $0.label == label }),
            let content = assertion.children.first
        else { throw ContentCredentialsError("the active manifest has no \(label) assertion") }
        return Array(content.data)
    }
}
