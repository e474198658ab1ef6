package io.averon.dl4j.spark;

import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;

/**
 * The Aeron port SharedTrainingMaster's transport binds, one per JVM: a UDP port free when first asked for, the same
 * for every later call in that JVM. DL4J's static port makes every executor on one host bind the same port (the
 * second one fails), and an environment variable cannot differ between executors Spark starts alike; this gives the
 * driver (the mesh's root) and each executor a port of its own.
 */
final class PerJvmUdpPort implements PortSupplier {
    private static final long serialVersionUID = 1L;
    private static int port;

    @Override
    public int getPort() {
        synchronized (PerJvmUdpPort.class) {
            if (port == 0) {
                try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
                    port = socket.getLocalPort();
                } catch (IOException e) {
                    throw new UncheckedIOException("no free UDP port for SharedTrainingMaster's transport", e);
                }
            }
            return port;
        }
    }
}
