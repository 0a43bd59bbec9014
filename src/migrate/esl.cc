#include "migrate/esl.h"
