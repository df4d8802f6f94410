# 286: vacation :from
require "vacation";
vacation :from "Me <me@example.com>" "Back soon.";
