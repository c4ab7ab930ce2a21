// Placeholder: tests for tools/report (helper H), written next.
#include "gtest/gtest.h"
