#include "query/event_list.h"

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/str_cat.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"
#include "query/summary_formulas.h"
#include "rapidjson/document.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

using rollups::MicrosOf;

// A custom event's properties, stored as a JSON object of strings.
absl::Status ParsePropertiesJson(
    const std::string& json,
    google::protobuf::Map<std::string, std::string>& properties) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError() || !document.IsObject()) {
    return absl::InternalError("stored properties are not a JSON object");
  }
  for (const auto& member : document.GetObject()) {
    if (!member.value.IsString()) {
      return absl::InternalError("a stored property is not a string");
    }
    properties[std::string(member.name.GetString(),
                           member.name.GetStringLength())] =
        std::string(member.value.GetString(), member.value.GetStringLength());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ListEventsResponse> EventList::ListEvents(
    const v1::ListEventsRequest& request) const {
  auto query = CheckListEvents(request);
  if (!query.ok()) return query.status();
  static const std::string sql = absl::StrCat(
      "SELECT event_id, shop_id, event_type, ", MicrosOf("occurred_at"),
      ", product_id, session_id, order_amount_cents, ", MicrosOf("received_at"),
      ", page, referrer_host, utm_source, utm_medium, utm_campaign,"
      " device_class, browser, os, event_name, properties::text"
      " FROM events WHERE shop_id = $1"
      " AND ($2::bigint IS NULL OR occurred_at >= ",
      InstantOfMicros("$2"),
      ")"
      " AND ($3::bigint IS NULL OR occurred_at < ",
      InstantOfMicros("$3"),
      ")"
      " AND ($4::smallint IS NULL OR event_type = $4)"
      " AND ($5::text IS NULL OR product_id = $5)"
      " AND ($6::text IS NULL OR session_id = $6)"
      " AND ($7::bigint IS NULL OR (occurred_at, event_id COLLATE \"C\") < (",
      InstantOfMicros("$7"),
      ", $8::text COLLATE \"C\"))"
      " ORDER BY occurred_at DESC, event_id COLLATE \"C\" DESC LIMIT $9");
  std::optional<int64_t> after_time;
  std::optional<std::string> after_id;
  if (query->after) {
    after_time = query->after->occurred_at_micros;
    after_id = query->after->event_id;
  }
  v1::ListEventsResponse response;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    // One statement: one snapshot.
    pqxx::nontransaction tx(conn);
    pqxx::result rows = tx.exec_params(
        sql, request.shop_id(), query->range.from, query->range.to,
        query->event_type, query->product_id, query->session_id, after_time,
        after_id, query->page_size + 1);
    for (const pqxx::row& row : rows) {
      if (response.events_size() == query->page_size) {
        const v1::StoredEventView& last = response.events(query->page_size - 1);
        response.set_next_page_token(
            EncodeCursor({last.timestamp().seconds() * 1000000 +
                              last.timestamp().nanos() / 1000,
                          last.event_id()}));
        break;
      }
      v1::StoredEventView* e = response.add_events();
      e->set_event_id(row[0].as<std::string>());
      e->set_shop_id(row[1].as<std::string>());
      e->set_event_type(EventTypeName(row[2].as<int>()));
      SetTimestampMicros(row[3].as<int64_t>(), e->mutable_timestamp());
      if (!row[4].is_null()) e->set_product_id(row[4].as<std::string>());
      if (!row[5].is_null()) e->set_session_id(row[5].as<std::string>());
      if (!row[6].is_null()) e->set_order_amount(Units(row[6].as<int64_t>()));
      SetTimestampMicros(row[7].as<int64_t>(), e->mutable_received_at());
      std::string* context[] = {
          e->mutable_page(),         e->mutable_referrer_host(),
          e->mutable_utm_source(),   e->mutable_utm_medium(),
          e->mutable_utm_campaign(), e->mutable_device_class(),
          e->mutable_browser(),      e->mutable_os(),
          e->mutable_name()};
      for (int i = 0; i < 9; ++i) {
        if (!row[8 + i].is_null()) *context[i] = row[8 + i].as<std::string>();
      }
      if (!row[17].is_null()) {
        if (absl::Status s = ParsePropertiesJson(row[17].as<std::string>(),
                                                 *e->mutable_properties());
            !s.ok()) {
          throw pqxx::conversion_error(std::string(s.message()));
        }
      }
    }
  });
  if (!status.ok()) return status;
  return response;
}

}  // namespace shopstream
