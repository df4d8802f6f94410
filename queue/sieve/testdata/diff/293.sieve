# 293: vacation :seconds 0
require ["vacation", "vacation-seconds"];
vacation :seconds 0 "Every time.";
