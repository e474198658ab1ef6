package io.averon.driver;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HadoopSettingsTest {

    /** A Configuration as a driver might have it: Hadoop's defaults plus what the user and Spark set. */
    private static Configuration driverConf() {
        Configuration conf = new Configuration();
        conf.set("fs.averontest.impl", "org.example.TestFileSystem");
        conf.set("dfs.client.socket-timeout", "120000");
        conf.set("fs.s3a.secret.key", "do-not-print");
        // Set, but to Hadoop's own default: nothing to carry.
        conf.set("io.file.buffer.size", new Configuration().get("io.file.buffer.size"));
        return conf;
    }

    @Test
    void carriesOnlyWhatDiffersFromHadoopsBuiltInDefaults() {
        Map<String, String> carried = HadoopSettings.of(driverConf()).entries();
        assertEquals("org.example.TestFileSystem", carried.get("fs.averontest.impl"));
        assertEquals("120000", carried.get("dfs.client.socket-timeout"));
        assertFalse(carried.containsKey("io.file.buffer.size"), carried.toString());
        assertFalse(carried.containsKey("fs.defaultFS"), carried.toString());
        assertEquals(3, carried.size(), carried.toString());
    }

    @Test
    void rebuildsAConfigurationWithTheSettingsOverThisJvmsDefaults() {
        Configuration conf = HadoopSettings.of(driverConf()).toConfiguration();
        assertEquals("org.example.TestFileSystem", conf.get("fs.averontest.impl"));
        assertEquals(120000, conf.getInt("dfs.client.socket-timeout", 0));
        assertEquals("file:///", conf.get("fs.defaultFS"));
        assertEquals(new Configuration().size(), HadoopSettings.none().toConfiguration().size());
    }

    @Test
    void roundTripsThroughJavaSerializationAndRebuildsItsConfigurationOncePerInstance() throws Exception {
        HadoopSettings settings = HadoopSettings.of(driverConf());
        Configuration first = settings.toConfiguration();
        assertSame(first, settings.toConfiguration());

        byte[] bytes = javaSerialize(settings);
        // A handful of settings is a few hundred bytes, not the ~55 KB of a whole Configuration.
        assertTrue(bytes.length < 1024, "serialized form is " + bytes.length + " bytes");
        HadoopSettings copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            copy = (HadoopSettings) in.readObject();
        }
        assertEquals(settings, copy);
        Configuration rebuilt = copy.toConfiguration();
        assertNotSame(first, rebuilt, "the Configuration is per instance, not shared through a static");
        assertSame(rebuilt, copy.toConfiguration());
        assertEquals("org.example.TestFileSystem", rebuilt.get("fs.averontest.impl"));
    }

    @Test
    void roundTripsThroughSparksKryoWithAveronsRegistrator() {
        SparkConf conf = new SparkConf(false)
                .set("spark.kryo.registrator", AveronKryoRegistrator.class.getName())
                .set("spark.kryo.registrationRequired", "true");
        SerializerInstance kryo = new KryoSerializer(conf).newInstance();
        ClassTag<HadoopSettings> tag = ClassTag$.MODULE$.apply(HadoopSettings.class);
        HadoopSettings settings = HadoopSettings.of(driverConf());
        settings.toConfiguration();

        ByteBuffer bytes = kryo.serialize(settings, tag);
        HadoopSettings copy = kryo.deserialize(bytes, tag);

        assertEquals(settings, copy);
        assertEquals("120000", copy.toConfiguration().get("dfs.client.socket-timeout"));
        assertNotSame(settings.toConfiguration(), copy.toConfiguration());
    }

    @Test
    void printsKeysButNeverValues() {
        String text = HadoopSettings.of(driverConf()).toString();
        assertTrue(text.contains("fs.s3a.secret.key"), text);
        assertFalse(text.contains("do-not-print"), text);
    }

    private static byte[] javaSerialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }
}
