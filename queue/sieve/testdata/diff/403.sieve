# 403: vacation :days 1000
require "vacation";
vacation :days 1000 "Long.";
