// tandem migrate: verify (being written).
#pragma once
