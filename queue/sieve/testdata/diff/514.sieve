# 514: vacation when the recipient is only in :addresses
require "vacation";
vacation :addresses "me@example.com" "Away.";
