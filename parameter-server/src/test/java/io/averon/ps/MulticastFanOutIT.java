package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ps.fan-out = multicast} on a real multicast path: this machine's own loopback carries no multicast, so the
 * test makes a network namespace whose loopback does (multicast flag, a route for 224.0.0.0/4), runs
 * {@link MulticastFanOutProbe} in it once with PARAMS sent to each worker and once on a multicast group, and checks
 * that the group delivered the steps to both workers (each on its own media driver) and that the final parameters of
 * the server and both workers are bit-identical between the two runs: the group carries the same signed bytes. A
 * third run has workers look for a group the server does not send to: they say so and train on their own streams. Needs
 * root, so it runs only in the {@code netns} Maven profile, and fails (never skips) without it. The namespace is
 * deleted by name whatever happens.
 */
@Timeout(300)
class MulticastFanOutIT
{
    private static final Pattern WORKER = Pattern.compile("worker (\\d) parameters (-?\\d+) group steps (\\d+) forged (\\d+)");
    private static final Pattern SERVER = Pattern.compile("server parameters (-?\\d+) step (\\d+)");

    @Test
    void aMulticastGroupDeliversTheSameSignedParametersToEveryWorker() throws Exception
    {
        assertTrue(((Integer)Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0, "MulticastFanOutIT needs " +
            "root: it creates a network namespace. Run `mvn -B verify -Pnetns` as root, or leave out -Pnetns");
        final String namespace = "averon-mc-" + ProcessHandle.current().pid();
        try
        {
            run(List.of("ip", "netns", "add", namespace));
            run(List.of("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up", "multicast", "on"));
            run(List.of("ip", "netns", "exec", namespace, "ip", "route", "add", "224.0.0.0/4", "dev", "lo"));

            final String unicast = probe(namespace, "unicast");
            final String multicast = probe(namespace, "multicast");
            final String unjoined = probe(namespace, "unjoined");
            assertEquals(match(SERVER, unicast).group(1), match(SERVER, unjoined).group(1), "unjoined: " + unjoined);
            assertTrue(unjoined.contains("nothing arrives from the parameter server's multicast group " +
                "239.255.65.87:40301 on 127.0.0.1 within 3000 ms"), unjoined);
            assertTrue(unjoined.contains("group steps 0 forged 0"), unjoined);

            final String server = match(SERVER, unicast).group(1);
            assertEquals(server, match(SERVER, multicast).group(1), "server parameters, unicast vs multicast");
            assertEquals(String.valueOf(MulticastFanOutProbe.STEPS), match(SERVER, multicast).group(2));
            final Matcher unicastWorkers = WORKER.matcher(unicast);
            final Matcher multicastWorkers = WORKER.matcher(multicast);
            for (int w = 0; w < 2; w++)
            {
                assertTrue(unicastWorkers.find() && multicastWorkers.find(), unicast + "\n" + multicast);
                assertEquals(server, unicastWorkers.group(2), "worker " + w + " holds the server's parameters");
                assertEquals(server, multicastWorkers.group(2), "worker " + w + " holds the server's parameters");
                assertEquals("0", unicastWorkers.group(3), "no group without ps.fan-out = multicast");
                // Every step after the first reaches a joined worker on the group (its first comes on its own stream).
                assertTrue(Integer.parseInt(multicastWorkers.group(3)) >= MulticastFanOutProbe.STEPS - 2,
                    "worker " + w + " received " + multicastWorkers.group(3) + " of " + MulticastFanOutProbe.STEPS +
                    " steps on the group");
                assertEquals("0", multicastWorkers.group(4), "every group chunk verified");
            }
        }
        finally
        {
            new ProcessBuilder("ip", "netns", "del", namespace).redirectErrorStream(true).start().waitFor();
        }
    }

    private static String probe(final String namespace, final String mode) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-Xmx512m", "-cp", System.getProperty("java.class.path"), MulticastFanOutProbe.class.getName(), mode,
            "239.255.65.87:40301"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output;
        try
        {
            assertTrue(process.waitFor(3, TimeUnit.MINUTES), mode + " probe did not finish in 3 minutes");
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        finally
        {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), mode + " probe failed:\n" + output);
        return output;
    }

    private static Matcher match(final Pattern pattern, final String output)
    {
        final Matcher matcher = pattern.matcher(output);
        assertTrue(matcher.find(), "no '" + pattern + "' in:\n" + output);
        return matcher;
    }

    private static void run(final List<String> command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + output);
    }
}
