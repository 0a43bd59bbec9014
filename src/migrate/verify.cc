#include "migrate/verify.h"
