package io.averon.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Submits Averon to Kubernetes the way a user does, with deploy/k8s/submit.sh and a real spark-submit (Spark 3.5.5's
 * Kubernetes backend over jobs/target/spark/jars) in cluster mode, against fabric8's mock API server on 127.0.0.1,
 * and reads back what Spark created: the driver pod (image, /dev/shm, UDP port, memory with overhead, arguments),
 * the driver's properties (Aeron's JVM flags) and the executor pod template it ships. Pods are only recorded, never
 * run: there is no kubelet, so nothing here shows that the image starts or that Aeron traffic flows between pods.
 */
class KubernetesSubmitIT {
    private static final String NAMESPACE = "averon-it";
    private static final String IMAGE = "registry.invalid/averon:it";
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sparkSubmitCreatesTheDriverPodOfThePodTemplate(@TempDir Path work) throws Exception {
        Path jvmOptions = ROOT.resolve("jobs/target/jvm.options");
        assertTrue(Files.isRegularFile(jvmOptions) && Files.isDirectory(ROOT.resolve("jobs/target/spark/jars")),
                "run the package phase first (jobs/target/jvm.options and jobs/target/spark/jars)");
        ServerSideApplyDispatcher dispatcher = new ServerSideApplyDispatcher();
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init(InetAddress.getByName("127.0.0.1"), 0);
        Process submit = null;
        try (KubernetesClient client = server.createClient()) {
            Path log = work.resolve("spark-submit.log");
            ProcessBuilder builder = new ProcessBuilder("bash", ROOT.resolve("deploy/k8s/submit.sh").toString(),
                    "--conf", "spark.kubernetes.submission.waitAppCompletion=false",
                    "--",
                    "train", "fashion-mnist-lenet", "--workers", "2",
                    "--set", "dataset.dir=hdfs://namenode:8020/data/fashion-mnist")
                    .directory(work.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("K8S_MASTER", "k8s://http://127.0.0.1:" + server.getPort());
            builder.environment().put("K8S_NAMESPACE", NAMESPACE);
            builder.environment().put("AVERON_IMAGE", IMAGE);
            builder.environment().put("SPARK_SUBMIT", ROOT.resolve("deploy/spark-submit").toString());
            builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            // No kubeconfig of this machine's user may redirect or authenticate the submission.
            builder.environment().put("KUBECONFIG", work.resolve("no-kubeconfig").toString());
            submit = builder.start();
            if (!submit.waitFor(4, TimeUnit.MINUTES)) {
                fail("spark-submit did not return; its log:\n" + Files.readString(log));
            }
            String output = Files.readString(log);
            System.out.println(output);
            assertEquals(0, submit.exitValue(), "spark-submit failed:\n" + output);

            List<Pod> drivers = client.pods().inNamespace(NAMESPACE).withLabel("spark-role", "driver").list()
                    .getItems();
            assertEquals(1, drivers.size(), "driver pods: " + drivers);
            Pod driver = drivers.get(0);
            Container container = driver.getSpec().getContainers().stream()
                    .filter(c -> c.getName().equals("spark-kubernetes-driver")).findFirst()
                    .orElseThrow(() -> new AssertionError("no driver container: " + driver.getSpec()));

            assertEquals(IMAGE, container.getImage());
            assertShm(driver, container, "1Gi");
            assertTrue(container.getPorts().stream().anyMatch(p -> p.getContainerPort() == 40099
                    && "UDP".equals(p.getProtocol())), "ps.port 40099/UDP on the driver: " + container.getPorts());

            // spark.driver.memory 2g + spark.driver.memoryOverhead 2g, requested and capped.
            long expected = 4L << 30;
            assertEquals(expected, bytes(container.getResources().getRequests().get("memory")));
            assertEquals(expected, bytes(container.getResources().getLimits().get("memory")));

            List<String> args = container.getArgs();
            int jar = args.indexOf("local:///opt/averon/averon.jar");
            assertTrue(jar > 0, "application jar in " + args);
            assertEquals(List.of("train", "fashion-mnist-lenet", "--workers", "2",
                    "--set", "dataset.dir=hdfs://namenode:8020/data/fashion-mnist",
                    "--set", "ps.port=40099", "--set", "ps.worker-ports=40100-40199"), args.subList(jar + 1, args.size()));
            assertEquals("io.averon.jobs.Averon", args.get(args.indexOf("--class") + 1));

            Properties properties = driverProperties(client, driver);
            String driverJava = properties.getProperty("spark.driver.extraJavaOptions", "");
            for (String flag : Files.readString(jvmOptions).trim().split("\\s+")) {
                assertTrue(driverJava.contains(flag), flag + " missing from the driver's java options: " + driverJava);
            }
            assertTrue(properties.getProperty("spark.executor.extraJavaOptions", "")
                    .contains("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"));
            assertEquals("2", properties.getProperty("spark.executor.instances"));
            assertEquals("3g", properties.getProperty("spark.executor.memoryOverhead"));

            Pod executorTemplate = executorTemplate(client, driver);
            Container executor = executorTemplate.getSpec().getContainers().get(0);
            assertShm(executorTemplate, executor, "256Mi");
            assertEquals(IntStream.rangeClosed(40100, 40199).boxed().collect(Collectors.toSet()),
                    executor.getPorts().stream().filter(p -> "UDP".equals(p.getProtocol()))
                            .map(ContainerPort::getContainerPort).collect(Collectors.toSet()));

            // The driver's DNS name must resolve to the pod itself for workers to reach ps.port over UDP.
            List<Service> services = client.services().inNamespace(NAMESPACE).list().getItems();
            assertEquals(1, services.size(), "services: " + services);
            assertEquals("None", services.get(0).getSpec().getClusterIP());
            // What Spark 3.5.5 sent as server-side apply rather than create: the reason for the dispatcher.
            Set<String> appliedKinds = dispatcher.appliedPaths().stream()
                    .map(p -> p.split("/")[p.split("/").length - 2]).collect(Collectors.toSet());
            assertEquals(Set.of("configmaps", "services"), appliedKinds, "applied: " + dispatcher.appliedPaths());
        } finally {
            stop(submit);
            server.destroy();
        }
    }

    private static void assertShm(Pod pod, Container container, String sizeLimit) {
        Volume shm = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals("aeron-shm")).findFirst()
                .orElseThrow(() -> new AssertionError("no aeron-shm volume: " + pod.getSpec().getVolumes()));
        assertNotNull(shm.getEmptyDir(), "aeron-shm is an emptyDir");
        assertEquals("Memory", shm.getEmptyDir().getMedium());
        assertEquals(new Quantity(sizeLimit), shm.getEmptyDir().getSizeLimit());
        assertTrue(container.getVolumeMounts().stream().anyMatch(m -> m.getName().equals("aeron-shm")
                && m.getMountPath().equals("/dev/shm")), "/dev/shm mount: " + container.getVolumeMounts());
    }

    private static long bytes(Quantity quantity) {
        assertNotNull(quantity, "memory quantity");
        return Quantity.getAmountInBytes(quantity).longValueExact();
    }

    private static ConfigMap mountedConfigMap(KubernetesClient client, Pod driver, String volumePrefix) {
        Volume volume = driver.getSpec().getVolumes().stream()
                .filter(v -> v.getName().startsWith(volumePrefix) && v.getConfigMap() != null).findFirst()
                .orElseThrow(() -> new AssertionError("no " + volumePrefix + " volume: " + driver.getSpec().getVolumes()));
        ConfigMap map = client.configMaps().inNamespace(NAMESPACE).withName(volume.getConfigMap().getName()).get();
        assertNotNull(map, "config map " + volume.getConfigMap().getName());
        return map;
    }

    private static Properties driverProperties(KubernetesClient client, Pod driver) throws IOException {
        ConfigMap map = mountedConfigMap(client, driver, "spark-conf-volume-driver");
        String text = map.getData().get("spark.properties");
        assertNotNull(text, "spark.properties in " + map.getData().keySet());
        Properties properties = new Properties();
        properties.load(new StringReader(text));
        return properties;
    }

    private static Pod executorTemplate(KubernetesClient client, Pod driver) {
        ConfigMap map = mountedConfigMap(client, driver, "pod-template-volume");
        assertEquals(1, map.getData().size(), "one executor template in " + map.getData().keySet());
        String yaml = map.getData().values().iterator().next();
        return Serialization.unmarshal(new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)),
                Pod.class);
    }

    private static void stop(Process process) throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> children = new ArrayList<>(process.descendants().toList());
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
