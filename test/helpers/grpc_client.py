"""An independent Open Inference Protocol client: Debian's python3-grpcio with stubs that
python3-grpc-tools compiles from the protocol's .proto. Reads {"address", "proto_dir", "calls"}
as JSON on stdin; each call is {"method", "request" (JSON form of the message), "metadata"}; prints
one result per call: {"ok": <response as JSON>, "metadata": {...}} or {"code": "NOT_FOUND", "details": ...}."""
import json
import sys

spec = json.load(sys.stdin)
sys.path.insert(0, spec["proto_dir"])
import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
import grpc_predict_v2_pb2 as pb  # noqa: E402
import grpc_predict_v2_pb2_grpc as pb_grpc  # noqa: E402

# A proxy from the environment would be asked to reach loopback: go direct.
channel = grpc.insecure_channel(spec["address"], options=[("grpc.enable_http_proxy", 0)])
stub = pb_grpc.GRPCInferenceServiceStub(channel)
results = []
for call in spec["calls"]:
    method = call["method"]
    request = json_format.ParseDict(call.get("request", {}), getattr(pb, method + "Request")())
    try:
        response, rpc = getattr(stub, method).with_call(request, metadata=[tuple(m) for m in call.get("metadata", [])], timeout=30)
        results.append({
            "ok": json_format.MessageToDict(response, preserving_proto_field_name=True),
            "metadata": {k: v for k, v in rpc.initial_metadata()},
        })
    except grpc.RpcError as error:
        results.append({"code": error.code().name, "details": error.details()})
print(json.dumps(results))
