// Tests of wizard.h (being written).
