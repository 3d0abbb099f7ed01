internal import COpenSSL
import Foundation

/// A certificate authority for demos and tests: a self-signed P-256 CA and a signing
/// certificate it issues that fits the C2PA certificate profile (CA:FALSE, digitalSignature,
/// the emailProtection and documentSigning extended key uses, subject and authority key ids).
/// Never a studio's production credential: its CA key sits next to it on disk.
public enum TestCertificateAuthority {
    public struct Files: Sendable {
        /// The CA's certificate: the trust anchor a validator is given.
        public var anchor: String
        /// The signer's certificate followed by the CA's (for `--cert`).
        public var chain: String
        /// The signer's private key (for `--key`).
        public var key: String
        public var caKey: String
    }

    /// Writes `ca.pem`, `ca.key`, `signer-chain.pem` and `signer.key` into `directory`
    /// (created if absent; existing files are not overwritten).
    public static func make(in directory: String, organization: String = "GenLedger test CA", days: Int = 825) throws -> Files {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = Files(
            anchor: directory + "/ca.pem", chain: directory + "/signer-chain.pem", key: directory + "/signer.key",
            caKey: directory + "/ca.key")
        for path in [files.anchor, files.chain, files.key, files.caKey] where manager.fileExists(atPath: path) {
            throw ContentCredentialsError("'\(path)' exists: choose an empty directory")
        }
        let caKey = try OpenSSLKey.generateP256()
        let signerKey = try OpenSSLKey.generateP256()
        let serial = Int.random(in: 1...Int(Int32.max))
        let ca = try certificate(
            subject: caKey, issuer: caKey, issuerDER: nil, commonName: "\(organization) root", organization: organization,
            isCA: true, serial: serial, days: days)
        let signer = try certificate(
            subject: signerKey, issuer: caKey, issuerDER: ca, commonName: "\(organization) signer", organization: organization,
            isCA: false, serial: serial + 1, days: days)
        try write(PEM.text(ca, label: "CERTIFICATE"), to: files.anchor, private: false)
        try write(PEM.text(signer, label: "CERTIFICATE") + PEM.text(ca, label: "CERTIFICATE"), to: files.chain, private: false)
        try write(try signerKey.pem(), to: files.key, private: true)
        try write(try caKey.pem(), to: files.caKey, private: true)
        return files
    }

    private static func certificate(
        subject: OpenSSLKey, issuer: OpenSSLKey, issuerDER: [UInt8]?, commonName: String, organization: String, isCA: Bool,
        serial: Int, days: Int
    ) throws -> [UInt8] {
        func make(_ out: UnsafeMutablePointer<UInt8>?, _ capacity: Int) -> Int {
            let issuerBytes = issuerDER ?? []
            return issuerBytes.withUnsafeBytes { raw in
                genledger_make_certificate(
                    subject.handle, issuer.handle, issuerDER == nil ? nil : raw.baseAddress, issuerBytes.count, commonName,
                    organization, isCA ? 1 : 0, "emailProtection,1.3.6.1.5.5.7.3.36", serial, days, out, capacity)
            }
        }
        // One call into a buffer large enough: each call signs anew, and ECDSA signatures vary in length.
        var der = [UInt8](repeating: 0, count: 8192)
        let written = make(&der, der.count)
        guard written > 0, written <= der.count else {
            throw ContentCredentialsError.openSSL("cannot make the certificate for \(commonName)")
        }
        return Array(der.prefix(written))
    }

    private static func write(_ text: String, to path: String, private isPrivate: Bool) throws {
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: isPrivate ? 0o600 : 0o644])
        else { throw ContentCredentialsError("cannot write '\(path)'") }
    }
}
