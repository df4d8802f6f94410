# 296: vacation twice is an error
require "vacation";
vacation "one";
vacation "two";
