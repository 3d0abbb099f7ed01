public import Foundation

/// Append-input lines (JSON Lines) of valid vocabulary events, for tests that need events the
/// gate accepts without any policy published.
public enum EventLines {
    public static func openDeliverable(_ id: String, category: String = "social-short", stage: String = "draft") -> String {
        #"{"type":"deliverable.opened","stream":"deliverable/\#(id)","payload":{"deliverable":"\#(id)","category":"\#(category)","stage":"\#(stage)","modality":"text-to-video","platforms":[{"platform":"tiktok","aspect_ratio":"9:16"}]}}"#
    }

    public static func openCampaign(_ id: String, extra: String = "") -> String {
        #"{"type":"campaign.opened","stream":"campaign/\#(id)","payload":{"campaign":"\#(id)","name":"Campaign \#(id)"}\#(extra)}"#
    }

    /// A review-time cost for an opened deliverable.
    public static func cost(_ deliverable: String, amount: Double, id: UUID? = nil, extra: String = "") -> String {
        let idField = id.map { #","id":"\#($0.uuidString)""# } ?? ""
        return
            #"{"type":"cost.recorded","stream":"deliverable/\#(deliverable)","payload":{"deliverable":"\#(deliverable)","kind":"review-time","amount":\#(amount),"currency":"EUR"\#(extra)}\#(idField)}"#
    }
}
