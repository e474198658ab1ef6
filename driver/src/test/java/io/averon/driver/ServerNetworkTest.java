package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerNetworkTest {
    private static ServerNetwork network(String... settings) {
        return ServerNetwork.of(JobConfig.load("", "job.conf", List.of(settings)),
                new SparkConf().set("spark.driver.host", "10.0.0.5"));
    }

    @Test
    void unicastByDefaultAndTheGroupOnlyForWorkersOverUdp() {
        assertNull(network().serverConfig("udp").token("t").build().paramsGroup());
        ServerNetwork multicast = network("ps.fan-out=multicast", "ps.multicast-group=\"239.255.1.3:40250\"");
        assertEquals("239.255.1.3:40250", multicast.serverConfig("udp").token("t").build().paramsGroup());
        assertNull(multicast.serverConfig("ipc").token("t").build().paramsGroup(), "IPC workers are sent to directly");
        assertEquals("239.255.1.3:40250", multicast.workerTransport(16 << 20, 1 << 20).paramsGroup());
        assertTrue(multicast.describe("10.0.0.5:40000", 1472, "udp")
                .contains("parameters multicast to group 239.255.1.3:40250 (ps.fan-out; UDP port 40250"));
    }

    @Test
    void aBadGroupIsRefusedNamingTheKey() {
        InputException even = assertThrows(InputException.class,
                () -> network("ps.fan-out=multicast", "ps.multicast-group=\"239.255.1.2:40250\""));
        assertTrue(even.getMessage().contains("ps.multicast-group = 239.255.1.2:40250: the group's last byte must be "
                + "odd"), even.getMessage());
        InputException unicastAddress = assertThrows(InputException.class,
                () -> network("ps.fan-out=multicast", "ps.multicast-group=\"10.0.0.7:40250\""));
        assertTrue(unicastAddress.getMessage().contains("10.0.0.7 is not an IPv4 multicast address"),
                unicastAddress.getMessage());
        InputException mode = assertThrows(InputException.class, () -> network("ps.fan-out=broadcast"));
        assertTrue(mode.getMessage().contains("ps.fan-out"), mode.getMessage());
        // Not read unless multicast is asked for.
        assertNull(network("ps.multicast-group=\"nonsense\"").workerTransport(16 << 20, 1 << 20).paramsGroup());
    }
}
