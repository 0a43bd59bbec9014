// tandem migrate: wizard (being written).
#pragma once
