# 304: vacation and discard
require "vacation";
vacation "away";
discard;
