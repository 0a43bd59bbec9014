// Tests of plan.h (being written).
