#!/usr/bin/python3
"""Writes h5py-fixture.hdf5 + h5py-fixture.csv: four traces in real STEAD style, written by h5py.

Run with Debian's python3-h5py: /usr/bin/python3 make_h5py_fixture.py (in this folder). The output is committed,
so the tests do not need Python. Attributes are what h5py stores for STEAD: variable-length str, float64 and int64
scalars, snr_db a float64 array of 3, coda_end_sample a float64 array of shape (1, 1); noise carries 'None' strings
or NaN for event fields; one trace lacks a few attributes, one holds a fixed-length string.
"""
import csv
import h5py
import numpy as np

COLUMNS = ("network_code,receiver_code,receiver_type,receiver_latitude,receiver_longitude,receiver_elevation_m,"
           "p_arrival_sample,p_status,p_weight,p_travel_sec,s_arrival_sample,s_status,s_weight,source_id,"
           "source_origin_time,source_origin_uncertainty_sec,source_latitude,source_longitude,source_error_sec,"
           "source_gap_deg,source_horizontal_uncertainty_km,source_depth_km,source_depth_uncertainty_km,"
           "source_magnitude,source_magnitude_type,source_magnitude_author,source_mechanism_strike_dip_rake,"
           "source_distance_deg,source_distance_km,back_azimuth_deg,snr_db,coda_end_sample,trace_start_time,"
           "trace_category,trace_name").split(",")

EVENT = dict(network_code="TA", receiver_code="109C", receiver_type="BH", receiver_latitude=32.8889,
             receiver_longitude=-117.1051, receiver_elevation_m=150.0, p_arrival_sample=700.0, p_status="manual",
             p_weight=0.5, p_travel_sec=17.0799999237, s_arrival_sample=1894.0, s_status="manual", s_weight=0.5,
             source_id="8556349", source_origin_time="2006-07-23 15:58:50.88", source_origin_uncertainty_sec=0.47,
             source_latitude=33.7496, source_longitude=-117.4938, source_error_sec=1.1119, source_gap_deg=107.466,
             source_horizontal_uncertainty_km=4.6403, source_depth_km=0.45, source_depth_uncertainty_km="None",
             source_magnitude=3.6, source_magnitude_type="ml", source_magnitude_author="None",
             source_mechanism_strike_dip_rake="None", source_distance_deg=0.92, source_distance_km=102.09,
             back_azimuth_deg=159.3, snr_db=np.array([56.79999924, 55.40000153, 47.40000153]),
             coda_end_sample=np.array([[2896.0]]), trace_start_time="2006-07-23 15:59:00.960000",
             trace_category="earthquake_local", trace_name="109C.TA_20060723155859_EV")


def csv_text(v):
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=8, separator=" ", floatmode="maxprec", legacy="1.13")
    return str(v)


def main():
    rng = np.random.default_rng(7)
    second = dict(EVENT, receiver_code="B084", network_code="PB", receiver_type="EH", p_arrival_sample=600,
                  s_arrival_sample=1763, source_id="ci10276477", trace_name="B084.PB_20061103155652_EV",
                  snr_db=np.array([65.0, 65.5, 61.40000153]), coda_end_sample=np.array([[5508.0]]),
                  source_origin_time="2006-11-03 15:56:42.73", trace_start_time="2006-11-03 15:56:53.610000")
    noise = {k: ("None" if k not in ("network_code", "receiver_code", "receiver_type", "receiver_latitude",
                                     "receiver_longitude", "receiver_elevation_m", "trace_start_time") else v)
             for k, v in EVENT.items()}
    noise.update(trace_category="noise", trace_name="109C.TA_201511220015_NO",
                 trace_start_time="2015-11-22 00:15:23.000000", source_magnitude=float("nan"))
    sparse = dict(noise, trace_name="109C.TA_201511230812_NO", trace_start_time="2015-11-23 08:12:00.010000")
    rows = [EVENT, second, noise, sparse]
    with h5py.File("h5py-fixture.hdf5", "w") as f:
        g = f.create_group("data")
        for i, row in enumerate(rows):
            wave = (rng.standard_normal((6000, 3)) * (i + 1) * 100).astype(np.float32)
            d = g.create_dataset(row["trace_name"], data=wave)
            for k, v in row.items():
                if row is sparse and k in ("receiver_elevation_m", "source_id", "snr_db"):
                    continue  # missing attributes must be tolerated
                if row is second and k == "p_arrival_sample":
                    d.attrs[k] = np.int64(v)
                elif row is second and k == "receiver_type":
                    d.attrs.create(k, np.bytes_(v))  # fixed-length string
                else:
                    d.attrs[k] = v
    with open("h5py-fixture.csv", "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(COLUMNS)
        for row in rows:
            w.writerow([csv_text(row[c]) for c in COLUMNS])


if __name__ == "__main__":
    main()
