package io.averon.worker.optimize;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.learning.GradientUpdater;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;

/**
 * The stateful half of {@link Momentum}: owns the velocity (a view into the network's updater state) and turns a
 * gradient into the step DL4J subtracts from the parameters. DL4J's convention is that the updater overwrites the
 * gradient array with the update and the caller does {@code param -= update}, so this writes {@code lr * v} there.
 */
public final class MomentumUpdater implements GradientUpdater<Momentum> {
    private final Momentum config;
    private INDArray velocity;

    public MomentumUpdater(Momentum config) {
        this.config = config;
    }

    @Override
    public Momentum getConfig() {
        return config;
    }

    @Override
    public void setState(Map<String, INDArray> state, boolean initialize) {
        if (state == null || state.size() != 1 || !state.containsKey(Momentum.VELOCITY)) {
            throw new IllegalArgumentException("momentum state must hold exactly the key \"" + Momentum.VELOCITY
                    + "\", got " + (state == null ? null : state.keySet()));
        }
        velocity = state.get(Momentum.VELOCITY);
        if (initialize) {
            velocity.assign(0);
        }
    }

    @Override
    public Map<String, INDArray> getState() {
        return Collections.singletonMap(Momentum.VELOCITY, velocity);
    }

    @Override
    public void setStateViewArray(INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        if (!viewArray.isRowVectorOrScalar()) {
            throw new IllegalArgumentException("momentum state view must be a row vector, got shape "
                    + Arrays.toString(viewArray.shape()));
        }
        if (initialize) {
            viewArray.assign(0);
        }
        // The velocity must be a view (no copy) so that updates land in the network's flattened updater state.
        INDArray shaped = Shape.newShapeNoCopy(viewArray, gradientShape, gradientOrder == 'f');
        if (shaped == null) {
            throw new IllegalStateException("momentum state view of shape " + Arrays.toString(viewArray.shape())
                    + " cannot be viewed as gradient shape " + Arrays.toString(gradientShape));
        }
        velocity = shaped;
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (velocity == null) {
            throw new IllegalStateException("momentum updater has no state: call setStateViewArray or setState first");
        }
        double lr = config.getLearningRate(iteration, epoch);
        velocity.muli(config.getMomentum()).addi(gradient);
        gradient.assign(velocity).muli(lr);
    }
}
