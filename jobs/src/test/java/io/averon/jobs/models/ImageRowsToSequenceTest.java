package io.averon.jobs.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Image rows become time steps: [n, c, h, w] -> [n, c*w, h], and back for the gradient. */
class ImageRowsToSequenceTest {
    private final ImageRowsToSequence rows = new ImageRowsToSequence(2, 3, 4);
    private final LayerWorkspaceMgr noWorkspaces = LayerWorkspaceMgr.noWorkspaces();

    @Test
    void stepTCarriesRowTOfEveryChannel() {
        INDArray image = Nd4j.linspace(DataType.FLOAT, 0, 2 * 2 * 3 * 4, 1).reshape(2, 2, 3, 4);
        INDArray sequence = rows.preProcess(image, 2, noWorkspaces);
        assertArrayEquals(new long[]{2, 8, 3}, sequence.shape());
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 2; c++) {
                for (int h = 0; h < 3; h++) {
                    for (int w = 0; w < 4; w++) {
                        assertEquals(image.getFloat(n, c, h, w), sequence.getFloat(n, c * 4 + w, h));
                    }
                }
            }
        }
    }

    @Test
    void backpropIsTheInverseRearrangement() {
        INDArray image = Nd4j.rand(DataType.FLOAT, 5, 2, 3, 4);
        INDArray back = rows.backprop(rows.preProcess(image, 5, noWorkspaces), 5, noWorkspaces);
        assertEquals(image, back);
    }

    @Test
    void outputTypeIsRowsAsTimeSteps() {
        assertEquals(InputType.recurrent(8, 3), rows.getOutputType(InputType.convolutional(3, 4, 2)));
        assertThrows(IllegalArgumentException.class, () -> rows.getOutputType(InputType.convolutional(4, 3, 2)));
    }

    @Test
    void aBatchOfAnotherShapeIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rows.preProcess(Nd4j.zeros(DataType.FLOAT, 1, 24), 1, noWorkspaces));
        assertEquals("ImageRowsToSequence input must be an NCHW batch [n, 2, 3, 4], got shape [1, 24]",
                e.getMessage());
    }
}
