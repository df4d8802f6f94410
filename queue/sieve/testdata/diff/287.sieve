# 287: vacation :addresses
require "vacation";
vacation :addresses ["me@example.com", "me@example.org"] "Back soon.";
