# 401: vacation :from that is not an address
require "vacation";
vacation :from "not an address" "x";
