#include "migrate/wizard.h"
