#include "gateway/openapi.h"

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/json_transcoder.h"
#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using ::testing::Contains;
using ::testing::UnorderedElementsAreArray;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  EXPECT_FALSE(document.HasParseError()) << json.substr(0, 200);
  return document;
}

rapidjson::Document Generated() {
  absl::StatusOr<RouteTable> routes = RouteTable::Build(PublicServiceNames());
  EXPECT_TRUE(routes.ok()) << routes.status();
  return Parse(OpenApiDocument(*routes, {.version = "test"}));
}

const rapidjson::Value& Operation(const rapidjson::Document& document,
                                  const char* path, const char* method) {
  static const rapidjson::Value kNull;
  const rapidjson::Value& paths = document["paths"];
  if (!paths.HasMember(path) || !paths[path].HasMember(method)) {
    ADD_FAILURE() << "no " << method << " " << path;
    return kNull;
  }
  return paths[path][method];
}

std::string Ref(const rapidjson::Value& schema) {
  return schema.IsObject() && schema.HasMember("$ref")
             ? schema["$ref"].GetString()
             : "";
}

// The path and method of every google.api.http binding in every .proto of
// proto/shopstream, as protoc reads them (not through the route table).
std::set<std::pair<std::string, std::string>> AnnotatedBindings(
    std::map<std::pair<std::string, std::string>, std::string>* grpc_methods) {
  google::protobuf::FileDescriptorSet files;
  EXPECT_TRUE(files.ParseFromString(ReadFile(SHOPSTREAM_PROTO_SET)));
  std::set<std::pair<std::string, std::string>> bindings;
  for (const auto& file : files.file()) {
    if (!absl::StartsWith(file.name(), "shopstream/")) continue;
    for (const auto& service : file.service()) {
      for (const auto& method : service.method()) {
        if (!method.options().HasExtension(google::api::http)) continue;
        const google::api::HttpRule& rule =
            method.options().GetExtension(google::api::http);
        std::vector<const google::api::HttpRule*> rules = {&rule};
        for (const auto& additional : rule.additional_bindings()) {
          rules.push_back(&additional);
        }
        for (const google::api::HttpRule* binding : rules) {
          std::pair<std::string, std::string> key;
          switch (binding->pattern_case()) {
            case google::api::HttpRule::kGet:
              key = {binding->get(), "get"};
              break;
            case google::api::HttpRule::kPost:
              key = {binding->post(), "post"};
              break;
            case google::api::HttpRule::kPut:
              key = {binding->put(), "put"};
              break;
            case google::api::HttpRule::kDelete:
              key = {binding->delete_(), "delete"};
              break;
            case google::api::HttpRule::kPatch:
              key = {binding->patch(), "patch"};
              break;
            default:
              ADD_FAILURE() << method.name() << ": unexpected pattern";
              continue;
          }
          bindings.insert(key);
          (*grpc_methods)[key] = absl::StrCat(
              "/", file.package(), ".", service.name(), "/", method.name());
        }
      }
    }
  }
  return bindings;
}

// The build's openapi.json (what shopstream-openapi wrote and the gateway
// serves) has exactly one operation per annotated binding of our protos,
// and each calls the method that declares it.
TEST(OpenApiTest, TheBuiltDocumentHasEveryAnnotatedRpcAndNothingElse) {
  std::map<std::pair<std::string, std::string>, std::string> grpc_methods;
  const std::set<std::pair<std::string, std::string>> annotated =
      AnnotatedBindings(&grpc_methods);
  ASSERT_THAT(annotated, Contains(std::make_pair(std::string("/v1/events"),
                                                 std::string("post"))));

  const rapidjson::Document document = Parse(ReadFile(SHOPSTREAM_OPENAPI_JSON));
  ASSERT_TRUE(document.IsObject());
  EXPECT_STREQ(document["openapi"].GetString(), "3.0.3");
  std::vector<std::pair<std::string, std::string>> documented;
  for (const auto& path : document["paths"].GetObject()) {
    for (const auto& operation : path.value.GetObject()) {
      std::pair<std::string, std::string> key = {path.name.GetString(),
                                                 operation.name.GetString()};
      EXPECT_EQ(operation.value["x-grpc-method"].GetString(), grpc_methods[key])
          << key.second << " " << key.first;
      documented.push_back(std::move(key));
    }
  }
  EXPECT_THAT(documented, UnorderedElementsAreArray(annotated));
}

TEST(OpenApiTest, BodiesParametersAndAnswersAreTheGatewaysOwn) {
  const rapidjson::Document document = Generated();

  const rapidjson::Value& ingest = Operation(document, "/v1/events", "post");
  EXPECT_EQ(Ref(ingest["requestBody"]["content"]["application/json"]["schema"]),
            "#/components/schemas/shopstream.v1.Event");
  ASSERT_TRUE(ingest["responses"].HasMember("202"));
  EXPECT_EQ(
      Ref(ingest["responses"]["202"]["content"]["application/json"]["schema"]),
      "#/components/schemas/shopstream.v1.Acceptance");
  EXPECT_EQ(Ref(ingest["responses"]["default"]),
            "#/components/responses/Error");
  EXPECT_FALSE(ingest.HasMember("parameters"));
  EXPECT_FALSE(ingest.HasMember("security"));  // the document's: a key

  const rapidjson::Value& batch =
      Operation(document, "/v1/events:batch", "post");
  EXPECT_EQ(Ref(batch["requestBody"]["content"]["application/json"]["schema"]),
            "#/components/schemas/shopstream.v1.IngestBatchRequest");
  EXPECT_FALSE(batch.HasMember("parameters"));  // body "*" takes everything

  const rapidjson::Value& summary =
      Operation(document, "/v1/shops/{shop_id}/summary", "get");
  std::vector<std::string> parameters;
  for (const auto& parameter : summary["parameters"].GetArray()) {
    parameters.push_back(absl::StrCat(parameter["in"].GetString(), ":",
                                      parameter["name"].GetString()));
    if (std::string(parameter["name"].GetString()) == "from") {
      EXPECT_STREQ(parameter["schema"]["format"].GetString(), "date-time");
    }
  }
  EXPECT_THAT(parameters,
              UnorderedElementsAreArray(
                  {"path:shop_id", "query:from", "query:to",
                   "query:filter.event_type", "query:filter.product_id",
                   "query:filter.page", "query:filter.referrer_host",
                   "query:filter.utm_source", "query:filter.utm_medium",
                   "query:filter.utm_campaign", "query:filter.device_class",
                   "query:filter.browser", "query:filter.os", "query:compare",
                   "query:compare_from", "query:compare_to"}));
  const rapidjson::Value& analytics =
      Operation(document, "/api/analytics", "get");
  EXPECT_STREQ(analytics["parameters"][0]["name"].GetString(), "shop_id");
  EXPECT_STREQ(analytics["parameters"][0]["in"].GetString(), "query");
  EXPECT_STREQ(analytics["operationId"].GetString(),
               "AnalyticsService_GetSummary");
  EXPECT_STREQ(summary["operationId"].GetString(),
               "AnalyticsService_GetSummary_2");

  const rapidjson::Value& csv =
      Operation(document, "/v1/shops/{shop_id}/timeseries.csv", "get");
  EXPECT_TRUE(csv["responses"]["200"]["content"].HasMember("text/csv"));
  EXPECT_TRUE(
      csv["responses"]["200"]["headers"].HasMember("Content-Disposition"));
  const rapidjson::Value& pdf =
      Operation(document, "/v1/shops/{shop_id}/report.pdf", "get");
  EXPECT_TRUE(pdf["responses"]["200"]["content"].HasMember("application/pdf"));

  const rapidjson::Value& watch =
      Operation(document, "/v1/shops/{shop_id}/summary:watch", "get");
  EXPECT_TRUE(
      watch["responses"]["200"]["content"].HasMember("text/event-stream"));

  const rapidjson::Value& health = Operation(document, "/v1/health", "get");
  ASSERT_TRUE(health.HasMember("security"));
  EXPECT_TRUE(health["security"].IsArray() && health["security"].Empty());

  // The key is a credential, never a field of a request.
  for (const auto& path : document["paths"].GetObject()) {
    for (const auto& operation : path.value.GetObject()) {
      if (!operation.value.HasMember("parameters")) continue;
      for (const auto& parameter : operation.value["parameters"].GetArray()) {
        EXPECT_STRNE(parameter["name"].GetString(), "key");
      }
    }
  }
  EXPECT_STREQ(document["components"]["securitySchemes"]["apiKeyQuery"]["name"]
                   .GetString(),
               "key");
}

// Sets every field to something other than its default, so that printing
// shows each field's JSON type; message fields `depth` levels down.
void Fill(Message* message, int depth) {
  const Reflection* reflection = message->GetReflection();
  const Descriptor* descriptor = message->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->is_map()) continue;
    const bool repeated = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        repeated ? reflection->AddInt32(message, field, -7)
                 : reflection->SetInt32(message, field, -7);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        // Past 2^53: printed as a number all the same.
        repeated ? reflection->AddInt64(message, field, 9007199254740993)
                 : reflection->SetInt64(message, field, 9007199254740993);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        repeated ? reflection->AddUInt32(message, field, 7)
                 : reflection->SetUInt32(message, field, 7);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        repeated ? reflection->AddUInt64(message, field, 7)
                 : reflection->SetUInt64(message, field, 7);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        repeated ? reflection->AddDouble(message, field, 1.5)
                 : reflection->SetDouble(message, field, 1.5);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        repeated ? reflection->AddFloat(message, field, 1.5f)
                 : reflection->SetFloat(message, field, 1.5f);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        repeated ? reflection->AddBool(message, field, true)
                 : reflection->SetBool(message, field, true);
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int last = field->enum_type()->value_count() - 1;
        repeated ? reflection->AddEnum(message, field,
                                       field->enum_type()->value(last))
                 : reflection->SetEnum(message, field,
                                       field->enum_type()->value(last));
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING:
        repeated ? reflection->AddString(message, field, "text")
                 : reflection->SetString(message, field, "text");
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (depth == 0) break;
        Fill(repeated ? reflection->AddMessage(message, field)
                      : reflection->MutableMessage(message, field),
             depth - 1);
        break;
    }
  }
}

// Whether `json` fits `schema` in the few forms OpenApiDocument writes.
void ExpectFits(const rapidjson::Value& json, const rapidjson::Value& schema,
                const rapidjson::Value& schemas, const std::string& where) {
  if (json.IsNull()) {
    EXPECT_TRUE(schema.HasMember("nullable") && schema["nullable"].GetBool())
        << where << " is null, which its schema does not allow";
    return;
  }
  if (schema.HasMember("allOf")) {
    ExpectFits(json, schema["allOf"][0], schemas, where);
    return;
  }
  if (schema.HasMember("$ref")) {
    const std::string ref = schema["$ref"].GetString();
    const std::string name = ref.substr(ref.rfind('/') + 1);
    ASSERT_TRUE(schemas.HasMember(name.c_str())) << where << ": " << ref;
    ExpectFits(json, schemas[name.c_str()], schemas, where);
    return;
  }
  const std::string type = schema["type"].GetString();
  if (type == "object") {
    ASSERT_TRUE(json.IsObject()) << where;
    if (schema.HasMember("additionalProperties")) return;
    std::set<std::string> printed, declared;
    for (const auto& member : json.GetObject()) {
      printed.insert(member.name.GetString());
    }
    for (const auto& property : schema["properties"].GetObject()) {
      const bool omitted = property.value.HasMember("x-omitted-when-unset") &&
                           !json.HasMember(property.name);
      if (!omitted) declared.insert(property.name.GetString());
      if (json.HasMember(property.name)) {
        ExpectFits(json[property.name], property.value, schemas,
                   absl::StrCat(where, ".", property.name.GetString()));
      }
    }
    EXPECT_EQ(printed, declared) << where;
  } else if (type == "array") {
    ASSERT_TRUE(json.IsArray()) << where;
    for (const auto& item : json.GetArray()) {
      ExpectFits(item, schema["items"], schemas, absl::StrCat(where, "[]"));
    }
  } else if (type == "integer") {
    EXPECT_TRUE(json.IsInt64() || json.IsUint64()) << where;
  } else if (type == "number") {
    EXPECT_TRUE(json.IsNumber()) << where;
  } else if (type == "boolean") {
    EXPECT_TRUE(json.IsBool()) << where;
  } else if (type == "string") {
    ASSERT_TRUE(json.IsString()) << where;
    if (schema.HasMember("enum")) {
      bool listed = false;
      for (const auto& value : schema["enum"].GetArray()) {
        listed = listed || std::string(value.GetString()) == json.GetString();
      }
      EXPECT_TRUE(listed) << where << ": " << json.GetString();
    }
  } else {
    ADD_FAILURE() << where << ": unexpected schema type " << type;
  }
}

// What JsonTranscoder prints for each message of the document, empty and
// filled, fits the message's schema: the same keys (proto names) and JSON
// types (int64 as numbers, null for unset fields with presence).
TEST(OpenApiTest, EverySchemaFitsWhatTheGatewayPrints) {
  const rapidjson::Document document = Generated();
  const rapidjson::Value& schemas = document["components"]["schemas"];
  const JsonTranscoder transcoder;
  int messages = 0;
  for (const auto& schema : schemas.GetObject()) {
    const Descriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()
            ->FindMessageTypeByName(schema.name.GetString());
    if (descriptor == nullptr) continue;  // enums and Error
    ++messages;
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            descriptor);
    std::unique_ptr<Message> filled(prototype->New());
    Fill(filled.get(), 3);
    for (const Message* message :
         std::initializer_list<const Message*>{prototype, filled.get()}) {
      const std::string json = transcoder.Print(*message);
      const rapidjson::Document printed = Parse(json);
      ExpectFits(printed, schema.value, schemas, descriptor->full_name());
    }
  }
  EXPECT_GT(messages, 10);
  EXPECT_THAT(std::string(schemas["shopstream.v1.Summary"]["properties"]
                                 ["total_page_views"]["type"]
                                     .GetString()),
              "integer");
  EXPECT_TRUE(schemas["shopstream.v1.Summary"]["properties"]["top_product_id"]
                     ["nullable"]
                         .GetBool());
}

}  // namespace
}  // namespace shopstream::gateway
