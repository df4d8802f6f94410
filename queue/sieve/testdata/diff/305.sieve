# 305: vacation and redirect
require "vacation";
vacation "away";
redirect "bob@example.org";
