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
