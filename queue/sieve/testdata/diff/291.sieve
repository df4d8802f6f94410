# 291: vacation with every option
require "vacation";
vacation :days 10 :subject "Away" :from "me@example.com" :addresses "me@example.org" :handle "all" "Everything.";
