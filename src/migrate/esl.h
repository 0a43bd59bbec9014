// tandem migrate: esl (being written).
#pragma once
