// Tests of esl.h (being written).
