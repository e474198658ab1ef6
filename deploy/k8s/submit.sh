#!/usr/bin/env bash
# Submits an Averon run to Kubernetes with spark-submit in cluster mode: the driver (and with it the parameter server)
# runs in a pod, executors in pods of their own, all from the image of deploy/k8s/Dockerfile.
#
#   K8S_MASTER=k8s://https://API-SERVER:6443 AVERON_IMAGE=REGISTRY/averon:0.1.0 \
#     deploy/k8s/submit.sh [--conf key=value ...] [--] train fashion-mnist-lenet --workers 4 \
#       --set dataset.dir=hdfs://namenode:8020/data/fashion-mnist --set run.root=hdfs://namenode:8020/averon/runs
#
# Environment: K8S_MASTER and AVERON_IMAGE (required); K8S_NAMESPACE (default averon); K8S_SERVICE_ACCOUNT (default
# spark: it must be allowed to create pods, services and config maps in the namespace); SPARK_SUBMIT (default:
# spark-submit on the PATH, else deploy/spark-submit). Options before the Averon arguments go to spark-submit
# (--conf spark.kubernetes.submission.waitAppCompletion=false returns once the driver pod exists).
# Executors: one per worker (--workers N, default 2), one core each, since workers of a step run as one barrier stage.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

: "${K8S_MASTER:?set K8S_MASTER, e.g. k8s://https://API-SERVER:6443}"
: "${AVERON_IMAGE:?set AVERON_IMAGE to the image built from deploy/k8s/Dockerfile, e.g. REGISTRY/averon:0.1.0}"
namespace="${K8S_NAMESPACE:-averon}"
service_account="${K8S_SERVICE_ACCOUNT:-spark}"
if [[ -z "${SPARK_SUBMIT:-}" ]]; then
  SPARK_SUBMIT="$(command -v spark-submit || echo "$root/deploy/spark-submit")"
fi
jvm_options_file="$root/jobs/target/jvm.options"
[[ -f "$jvm_options_file" ]] || { echo "submit.sh: $jvm_options_file is missing: run 'mvn -B -DskipTests package'" >&2; exit 2; }

# Ports the pod templates declare: the parameter server's (driver) and the workers' reply range (executors).
ps_port=40099
worker_ports=40100-40199

submit_options=()
while [[ $# -gt 0 && "$1" == --* && "$1" != "--" ]]; do
  [[ $# -ge 2 ]] || { echo "submit.sh: $1 needs a value" >&2; exit 2; }
  submit_options+=("$1" "$2")
  shift 2
done
[[ "${1:-}" == "--" ]] && shift
[[ $# -gt 0 ]] || { echo "submit.sh: no Averon arguments (e.g. train fashion-mnist-lenet --workers 4)" >&2; exit 2; }

workers=2
args=("$@")
for ((i = 0; i < ${#args[@]} - 1; i++)); do
  [[ "${args[i]}" == "--workers" ]] && workers="${args[i+1]}"
done

# Aeron needs Agrona's access to jdk.internal.misc (plus Spark's own add-opens) on the driver's command line; the
# image's spark-submit reads these from the driver's properties. JavaCPP's limits keep ND4J's off-heap memory inside
# the memoryOverhead below, which also has to hold /dev/shm (a memory-backed emptyDir counts against the limit):
#   driver:   2g heap + 2g overhead (1Gi /dev/shm, 512m ND4J, JVM native)          = 4Gi container
#   executor: 4g heap + 3g overhead (256Mi /dev/shm, 2g ND4J, JVM native)           = 7Gi container
jvm_options="$(tr '\n' ' ' < "$jvm_options_file")"
driver_java="$jvm_options -Dorg.bytedeco.javacpp.maxbytes=512m -Dorg.bytedeco.javacpp.maxphysicalbytes=3584m"
executor_java="--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED"
executor_java+=" -Dorg.bytedeco.javacpp.maxbytes=2g -Dorg.bytedeco.javacpp.maxphysicalbytes=6656m"

exec "$SPARK_SUBMIT" \
  --master "$K8S_MASTER" \
  --deploy-mode cluster \
  --name averon \
  --class io.averon.jobs.Averon \
  --conf spark.kubernetes.namespace="$namespace" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName="$service_account" \
  --conf spark.kubernetes.container.image="$AVERON_IMAGE" \
  --conf spark.kubernetes.driver.podTemplateFile="$here/driver-pod-template.yaml" \
  --conf spark.kubernetes.executor.podTemplateFile="$here/executor-pod-template.yaml" \
  --conf spark.kubernetes.driver.podTemplateContainerName=spark-kubernetes-driver \
  --conf spark.kubernetes.executor.podTemplateContainerName=spark-kubernetes-executor \
  --conf spark.driver.memory=2g \
  --conf spark.driver.memoryOverhead=2g \
  --conf spark.executor.memory=4g \
  --conf spark.executor.memoryOverhead=3g \
  --conf spark.executor.cores=1 \
  --conf spark.executor.instances="$workers" \
  --conf spark.dynamicAllocation.enabled=false \
  --conf spark.driver.extraJavaOptions="$driver_java" \
  --conf spark.executor.extraJavaOptions="$executor_java" \
  "${submit_options[@]}" \
  local:///opt/averon/averon.jar \
  "$@" --set ps.port="$ps_port" --set ps.worker-ports="$worker_ports"
