/// "1 event", "2 events": counts in messages and reports agree in number, never "event(s)".
public func counted(_ count: some BinaryInteger, _ noun: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
}
