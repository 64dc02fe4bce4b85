// The protobuf files the runtime parses besides a service's own: google/protobuf/struct.proto (what the
// generated files import for free-form JSON) and the subset of google/protobuf/descriptor.proto that
// server reflection needs to describe a file. Field numbers are the upstream ones (Protocol Buffers,
// BSD-3-Clause); options and comments are left out.

/** google/protobuf/struct.proto. */
export const structProtoText = `syntax = "proto3";
package google.protobuf;
message Struct {
  map<string, Value> fields = 1;
}
message Value {
  oneof kind {
    NullValue null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    Struct struct_value = 5;
    ListValue list_value = 6;
  }
}
enum NullValue {
  NULL_VALUE = 0;
}
message ListValue {
  repeated Value values = 1;
}
`;

/** What reflection sends: FileDescriptorProto and the messages it holds (upstream numbers). */
export const descriptorProtoText = `syntax = "proto2";
package google.protobuf;
message FileDescriptorProto {
  optional string name = 1;
  optional string package = 2;
  repeated string dependency = 3;
  repeated DescriptorProto message_type = 4;
  repeated EnumDescriptorProto enum_type = 5;
  repeated ServiceDescriptorProto service = 6;
  optional string syntax = 12;
}
message DescriptorProto {
  optional string name = 1;
  repeated FieldDescriptorProto field = 2;
  repeated DescriptorProto nested_type = 3;
  repeated EnumDescriptorProto enum_type = 4;
  optional MessageOptions options = 7;
  repeated OneofDescriptorProto oneof_decl = 8;
  message ReservedRange {
    optional int32 start = 1;
    optional int32 end = 2;
  }
  repeated ReservedRange reserved_range = 9;
  repeated string reserved_name = 10;
}
message MessageOptions {
  optional bool map_entry = 7;
}
message FieldDescriptorProto {
  optional string name = 1;
  optional int32 number = 3;
  optional int32 label = 4;
  optional int32 type = 5;
  optional string type_name = 6;
  optional int32 oneof_index = 9;
  optional string json_name = 10;
  optional bool proto3_optional = 17;
}
message OneofDescriptorProto {
  optional string name = 1;
}
message EnumDescriptorProto {
  optional string name = 1;
  repeated EnumValueDescriptorProto value = 2;
  message EnumReservedRange {
    optional int32 start = 1;
    optional int32 end = 2;
  }
  repeated EnumReservedRange reserved_range = 4;
  repeated string reserved_name = 5;
}
message EnumValueDescriptorProto {
  optional string name = 1;
  optional int32 number = 2;
}
message ServiceDescriptorProto {
  optional string name = 1;
  repeated MethodDescriptorProto method = 2;
}
message MethodDescriptorProto {
  optional string name = 1;
  optional string input_type = 2;
  optional string output_type = 3;
}
message FileDescriptorSet {
  repeated FileDescriptorProto file = 1;
}
`;
