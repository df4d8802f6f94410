# 302: vacation without a reason is invalid
require "vacation";
vacation :days 1;
