import Foundation
import Governance
import Hummingbird
import LedgerLog

/// What a generation costs at the catalog price: the figure a pipeline records as its
/// `cost.recorded` when the provider's invoice does not say (the Python client's generation
/// context does). The gate's own estimate, so the two never differ.
extension LedgerEndpoints {
    func addCostRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/costs/estimate") { request, context in
            _ = try context.require(Access.read)
            let body = try await self.jsonObject(request)
            let unknown = Set(body.keys).subtracting(["deliverable", "model", "parameters", "on"])
            if let field = unknown.sorted().first { throw APIError.badRequest("unknown field", field: field) }
            func string(_ key: String) throws -> String {
                guard let text = body[key]?.stringValue, !text.isEmpty else {
                    throw APIError.badRequest("\(key) is required (a string)", field: key)
                }
                return text
            }
            let deliverableID = try string("deliverable")
            let modelID = try string("model")
            let parameters: GenerationParameters
            do {
                parameters = try GenerationParameters(
                    try Fields(body["parameters"] ?? ["aspect_ratio": "1:1"], path: "parameters"))
            } catch let error as GovernanceError { throw APIError.badRequest(error.message, field: error.field) }
            let date: CalendarDate
            if let on = body["on"] {
                guard let text = on.stringValue, let parsed = CalendarDate(text) else {
                    throw APIError.badRequest("on is a date (YYYY-MM-DD)", field: "on")
                }
                date = parsed
            } else {
                date = CalendarDate(String(Timestamp(Date()).description.prefix(10)))!
            }
            let answer: JSONValue = try await self.committer.exclusive { governed in
                try governed.refresh(deliverables: [deliverableID])
                guard let model = governed.state.models[modelID] else {
                    throw APIError(
                        .notFound, "not-found", "model '\(modelID)' is not in the catalog", details: ["field": "model"])
                }
                guard let deliverable = governed.state.deliverables[deliverableID] else {
                    throw APIError(
                        .notFound, "not-found", "deliverable '\(deliverableID)' was never opened",
                        details: ["field": "deliverable"])
                }
                let price = model.price(on: date)
                let cost = Gate.estimatedCost(parameters: parameters, model: model, deliverable: deliverable, on: date)
                return [
                    "deliverable": .string(deliverableID), "model": .string(modelID), "on": .string(date.description),
                    "amount": .number(cost.amount), "amount_micros": .number(Double(cost.micros)),
                    "currency": .string(cost.currency.rawValue),
                    "price": [
                        "unit": .string(price.unit.rawValue), "amount": .number(price.amount.amount),
                        "currency": .string(price.amount.currency.rawValue), "effective": .string(price.effective.description),
                    ],
                ]
            }
            return Response.json(answer)
        }
    }
}
