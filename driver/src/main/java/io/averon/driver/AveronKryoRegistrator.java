package io.averon.driver;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.averon.worker.ConfusionMatrix;
import io.averon.worker.WorkerReport;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers the classes Averon ships between driver and executors with Spark's Kryo serializer. Records go through
 * Java serialization inside Kryo because Spark's Kryo 4 cannot set their final fields.
 */
public final class AveronKryoRegistrator implements KryoRegistrator {
    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(WorkerReport.class, new JavaSerializer());
        kryo.register(ConfusionMatrix.class, new JavaSerializer());
        kryo.register(float[].class);
        kryo.register(long[][].class);
        kryo.register(long[].class);
        // Dataset indexes carry it to executors; Java-serialized in task closures today, registered so that a
        // broadcast or an RDD element holding one (Kryo) needs no class name on the wire.
        kryo.register(HadoopSettings.class);
    }
}
