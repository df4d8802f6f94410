# 301: vacation :days and :seconds together is invalid
require ["vacation", "vacation-seconds"];
vacation :days 1 :seconds 60 "x";
