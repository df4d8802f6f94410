# 284: vacation :days
require "vacation";
vacation :days 3 "Back on Monday.";
