import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Signing keys on disk: one C2SP signer key string per file, readable by its owner only.
public enum KeyFile {
    /// Writes a new key file with mode 0600. Never overwrites.
    public static func create(_ key: NoteSignerKey, at path: String) throws {
        try create(secret: key.description, at: path)
    }

    /// A witness's signing key, the same way.
    public static func create(_ key: Cosignature.SignerKey, at path: String) throws {
        try create(secret: key.description, at: path)
    }

    public static func readWitnessKey(at path: String) throws -> Cosignature.SignerKey {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LedgerError(.keyUnavailable, "witness key file '\(path)' does not exist or cannot be read")
        }
        do { return try Cosignature.SignerKey(parsing: text) } catch let error as LedgerError {
            throw LedgerError(.keyUnavailable, "witness key file '\(path)': \(error.message)")
        }
    }

    private static func create(secret: String, at path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST {
                throw LedgerError(.alreadyExists, "key file '\(path)' already exists; refusing to overwrite it")
            }
            throw LedgerError(.keyUnavailable, "cannot create key file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array((secret + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            unlink(path)
            throw LedgerError(.keyUnavailable, "cannot write key file '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    public static func read(at path: String) throws -> NoteSignerKey {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError(.keyUnavailable, "signing key file '\(path)' does not exist")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LedgerError(.keyUnavailable, "signing key file '\(path)' cannot be read")
        }
        do { return try NoteSignerKey(parsing: text) } catch let error as LedgerError {
            throw LedgerError(.keyUnavailable, "signing key file '\(path)': \(error.message)")
        }
    }
}
